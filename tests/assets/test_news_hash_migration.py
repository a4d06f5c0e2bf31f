"""0004 re-keys news items to the importers' content hash, so demo rows and imported rows agree."""
import datetime as dt
import hashlib
import importlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from assets.models import NewsItem
from assets.services import news_content_hash

pytestmark = pytest.mark.django_db
migration = importlib.import_module("assets.migrations.0004_news_items_share_one_content_hash")


def test_the_migration_hash_is_the_service_hash():
    body = "  Topline:\n primary   endpoint met\u0301. "
    date = dt.date(2026, 3, 9)
    assert migration.content_hash(date, body) == news_content_hash(date=date, body=body)


def test_rehash_rekeys_old_demo_rows_and_leaves_a_colliding_one_alone():
    date = dt.date(2026, 3, 9)
    old_key = hashlib.sha256(b"primary endpoint met").hexdigest()
    demo = NewsItem.objects.create(date=date, body="Primary endpoint met", content_hash=old_key)
    imported = NewsItem.objects.create(
        date=date, body="Other news", content_hash=news_content_hash(date=date, body="Other news")
    )
    clash = NewsItem.objects.create(date=date, body="Other  news", content_hash="legacy")  # same text as `imported`
    migration.rehash(apps, None)
    demo.refresh_from_db(), imported.refresh_from_db(), clash.refresh_from_db()
    assert demo.content_hash == news_content_hash(date=date, body="Primary endpoint met")
    assert imported.content_hash == news_content_hash(date=date, body="Other news")
    assert clash.content_hash == "legacy"


def test_the_demo_and_the_importer_key_news_alike():
    call_command("load_demo", stdout=StringIO())
    for item in NewsItem.objects.all():
        assert item.content_hash == news_content_hash(date=item.date, body=item.body)
