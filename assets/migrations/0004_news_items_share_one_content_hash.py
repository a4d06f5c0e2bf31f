"""Re-key news items to the one content hash the importers use (date + NFC body with whitespace collapsed).

Until now the demo loader keyed its news items with a hash of its own (case-folded body, no date), so importing
the same item, or checking it in the admin, did not recognise a demo row. The hash is written out here rather than
imported, so this migration keeps meaning what it meant when it ran. An item whose new key already belongs to
another row (the same news imported as well as loaded by the demo) keeps its old key: merging rows is an admin's
decision.
"""
import hashlib
import re
import unicodedata

from django.db import migrations


def content_hash(date, body: str) -> str:
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", body)).strip()
    return hashlib.sha256(f"{date.isoformat()}\n{text}".encode()).hexdigest()


def rehash(apps, schema_editor):
    NewsItem = apps.get_model("assets", "NewsItem")
    taken = set(NewsItem.objects.values_list("content_hash", flat=True))
    for item in NewsItem.objects.only("pk", "date", "body", "content_hash").order_by("pk"):
        key = content_hash(item.date, item.body)
        if key != item.content_hash and key not in taken:
            taken.discard(item.content_hash)
            taken.add(key)
            NewsItem.objects.filter(pk=item.pk).update(content_hash=key)


class Migration(migrations.Migration):
    dependencies = [("assets", "0003_trial_endpoint_primary_first")]
    operations = [migrations.RunPython(rehash, migrations.RunPython.noop)]
