"""The question page's news: items on the question's trial and asset, newest first, bounded, constant queries."""
import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assets.selectors import news_about
from forecasting.questions.detail import QUESTION_PAGE_NEWS
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def question_on_trial_and_asset():
    asset = factories.AssetFactory(name="Mezigdomide")
    trial = factories.TrialFactory(acronym="SUCCESSOR-2", assets=[asset])
    return factories.QuestionFactory(trial=trial, asset=asset)


def _news(n, *, start=dt.date(2026, 1, 1), trial=None, asset=None, prefix="Item"):
    items = []
    for i in range(n):
        item = factories.NewsItemFactory(title=f"{prefix} {i}", date=start + dt.timedelta(days=i),
                                         source="Sponsor press release", url=f"https://example.org/{prefix}/{i}")
        if trial:
            item.trials.add(trial)
        if asset:
            item.assets.add(asset)
        items.append(item)
    return items


def _titles(html):
    section = html.split('data-testid="question-news"')[1].split("</ul>")[0]
    return re.findall(r'<a href="https://example.org/[^"]+" rel="noopener">([^<]+)</a>', section)


def test_the_page_lists_trial_and_asset_news_newest_first(question_on_trial_and_asset):
    q = question_on_trial_and_asset
    _news(2, trial=q.trial, prefix="Trial")
    _news(1, start=dt.date(2026, 2, 1), asset=q.asset, prefix="Asset")
    _news(1, start=dt.date(2026, 3, 1), trial=q.trial, asset=q.asset, prefix="Both")
    _news(1, start=dt.date(2026, 4, 1), prefix="Unrelated")
    html = Client().get(q.get_absolute_url()).content.decode()
    assert _titles(html) == ["Both 0", "Asset 0", "Trial 1", "Trial 0"]
    assert "Sponsor press release" in html and 'datetime="2026-03-01"' in html
    assert "More news" not in html


def test_the_list_is_bounded_with_a_link_to_more(question_on_trial_and_asset):
    q = question_on_trial_and_asset
    _news(QUESTION_PAGE_NEWS + 2, trial=q.trial)
    html = Client().get(q.get_absolute_url()).content.decode()
    assert len(_titles(html)) == QUESTION_PAGE_NEWS
    assert f'href="{q.trial.get_absolute_url()}#news">More news</a>' in html


def test_a_question_with_neither_trial_nor_asset_has_no_news_section():
    q = factories.QuestionFactory()
    _news(2)
    assert 'data-testid="question-news"' not in Client().get(q.get_absolute_url()).content.decode()
    assert news_about(trial_id=None, asset_id=None, limit=5) == ([], False)


def test_news_takes_a_constant_number_of_queries(question_on_trial_and_asset):
    q = question_on_trial_and_asset
    _news(3, trial=q.trial, prefix="A")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert Client().get(q.get_absolute_url()).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    _news(9, start=dt.date(2026, 6, 1), asset=q.asset, prefix="B")
    assert count() == few
    with CaptureQueriesContext(connection) as ctx:
        news_about(trial_id=q.trial_id, asset_id=q.asset_id, limit=5)
    assert len(ctx.captured_queries) == 1
