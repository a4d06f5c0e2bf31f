"""Display names are unique whatever their case (when set): first rename the duplicates that exist, then add the
index. Of each group of equal names (case-insensitive, after trimming), the oldest profile keeps the name and the
others get " (2)", " (3)"... appended (cut to fit 80 characters, skipping suffixes already taken)."""
from django.db import migrations, models
from django.db.models import Q
from django.db.models.functions import Lower

MAX_LENGTH = 80


def dedupe_display_names(apps, schema_editor):
    Profile = apps.get_model("forecasting", "Profile")
    rows = list(Profile.objects.exclude(display_name="").order_by("pk").values_list("pk", "display_name"))
    taken = set()
    renames = {}
    for pk, name in rows:
        trimmed = " ".join(name.split())
        if trimmed.casefold() not in taken:
            taken.add(trimmed.casefold())
            if trimmed != name:
                renames[pk] = trimmed
            continue
        n = 2
        while True:
            suffix = f" ({n})"
            candidate = trimmed[: MAX_LENGTH - len(suffix)] + suffix
            if candidate.casefold() not in taken:
                break
            n += 1
        taken.add(candidate.casefold())
        renames[pk] = candidate
    for pk, name in renames.items():
        Profile.objects.filter(pk=pk).update(display_name=name)


class Migration(migrations.Migration):
    dependencies = [("forecasting", "0010_discussion_and_follows")]

    operations = [
        migrations.RunPython(dedupe_display_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="profile",
            constraint=models.UniqueConstraint(
                Lower("display_name"), condition=~Q(display_name=""), name="profile_display_name_unique_ci"
            ),
        ),
    ]
