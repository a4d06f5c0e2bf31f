"""Search and filter selectors the FilterSets delegate to: companies by name or alias, news by the trial it names."""
import pytest

from assets import selectors
from assets.models import Company, NewsItem
from tests import factories

pytestmark = pytest.mark.django_db


def test_company_search_matches_name_or_alias_once_each():
    company = factories.CompanyFactory(name="Bristol-Myers Squibb")
    company.aliases.create(name="BMS")
    company.aliases.create(name="BMS Oncology")
    factories.CompanyFactory(name="GSK")

    assert list(selectors.company_search(Company.objects.all(), "bms")) == [company]
    assert list(selectors.company_search(Company.objects.all(), "squibb")) == [company]
    assert selectors.company_search(Company.objects.all(), "  ").count() == 2


@pytest.mark.parametrize("identifier", ["successor-2", "SUCCESSOR-2", "nct05552976", " NCT05552976 "])
def test_news_mentioning_trial_by_slug_nct_id_or_acronym(identifier):
    trial = factories.TrialFactory(registry_id="NCT05552976", acronym="SUCCESSOR-2")
    mentioned = factories.NewsItemFactory()
    mentioned.trials.add(trial)
    factories.NewsItemFactory()

    assert list(selectors.news_mentioning_trial(NewsItem.objects.all(), identifier)) == [mentioned]


def test_news_mentioning_a_shared_acronym_lists_the_news_of_each_trial_once():
    first = factories.TrialFactory(acronym="TWIN", slug="twin-a")
    second = factories.TrialFactory(acronym="TWIN", slug="twin-b")
    both = factories.NewsItemFactory()
    both.trials.add(first, second)
    only_second = factories.NewsItemFactory()
    only_second.trials.add(second)

    found = selectors.news_mentioning_trial(NewsItem.objects.order_by("pk"), "twin")

    assert list(found) == [both, only_second]


def test_news_mentioning_a_blank_trial_narrows_nothing():
    factories.NewsItemFactory()
    assert selectors.news_mentioning_trial(NewsItem.objects.all(), "").count() == 1
