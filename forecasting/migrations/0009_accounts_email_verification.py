"""Accounts (issue 13). Profile.email_verified (and when): accounts made by the public sign-up start unverified and
cannot forecast, or get their starting points, until they confirm their e-mail address; every existing account is
verified (default True: they signed up before the rule and already hold their grant). BotToken: named API keys,
stored hashed."""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("forecasting", "0008_registry_proposals"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="email_verified",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="profile",
            name="email_verified_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.CreateModel(
            name="BotToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=60)),
                ("prefix", models.CharField(help_text="The key's first characters, to tell keys apart.", max_length=16)),
                ("key_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="bot_tokens",
                                           to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["created_at", "pk"],
                "constraints": [models.UniqueConstraint(fields=("user", "name"), name="bot_token_unique_name_per_user")],
            },
        ),
    ]
