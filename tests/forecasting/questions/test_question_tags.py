"""The question markup tags (forecasting/templatetags/question_tags.py): exact HTML, escaping, and the relative
close-time text for every status. Questions, assets and trials are built in memory; no database is needed."""
import datetime as dt

import pytest
from django.template import Context, Template

from assets.models import Asset, Trial
from forecasting.questions.display import CommunitySummary, community_summary
from forecasting.templatetags.question_tags import (
    close_time,
    close_time_text,
    community_cell,
    question_badges,
    question_links,
)
from markets.models import Question

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 5, 9, 7, tzinfo=UTC)
NBSP = "\xa0"  # Django's timesince/timeuntil join the number and the unit with a no-break space


def make_question(**fields) -> Question:
    values = {
        "title": "Will SUCCESSOR-2 report a PFS hazard ratio below 0.7?",
        "slug": "successor-2-pfs-hr",
        "type": "binary",
        "status": "open",
        "open_time": NOW - dt.timedelta(days=7),
        "scheduled_close_time": NOW + dt.timedelta(days=30),
    }
    values.update(fields)
    return Question(**values)


def render(source: str, **context) -> str:
    return Template("{% load question_tags %}" + source).render(Context(context))


# ---------------------------------------------------------------------------------------------------------------
# question_badges
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kind, status, expected",
    [
        ("binary", "open",
         '<span class="badge kind q-type-binary">Binary</span>\n<span class="badge open">Open</span>'),
        ("numeric", "draft",
         '<span class="badge kind q-type-numeric">Numeric</span>\n<span class="badge draft">Draft</span>'),
        ("binary", "resolved",
         '<span class="badge kind q-type-binary">Binary</span>\n<span class="badge resolved">Resolved</span>'),
    ],
)
def test_question_badges_show_type_and_status(kind, status, expected):
    q = make_question(type=kind, status=status)
    assert question_badges(q) == expected
    assert render("{% question_badges q %}", q=q) == expected


# ---------------------------------------------------------------------------------------------------------------
# question_links
# ---------------------------------------------------------------------------------------------------------------
def test_question_links_is_empty_without_asset_or_trial():
    q = make_question()
    assert question_links(q) == ""
    assert render("[{% question_links q %}]", q=q) == "[]"


def test_question_links_escapes_the_asset_name():
    q = make_question(asset=Asset(pk=1, name="A&B <x>", slug="a-b"))
    expected = '<span class="q-links"><a href="/assets/a-b/">A&amp;B &lt;x&gt;</a></span>'
    assert question_links(q) == expected
    assert render("{% question_links q %}", q=q) == expected


def test_question_links_joins_asset_and_trial_and_escapes_the_trial_name():
    q = make_question(
        asset=Asset(pk=1, name="Mezigdomide", slug="mezigdomide"),
        trial=Trial(pk=2, acronym="<script>alert(1)</script>", registry_id="NCT05552976", slug="successor-2"),
    )
    expected = (
        '<span class="q-links"><a href="/assets/mezigdomide/">Mezigdomide</a> · '
        '<a href="/trials/successor-2/">&lt;script&gt;alert(1)&lt;/script&gt;</a></span>'
    )
    assert question_links(q) == expected
    assert render("{% question_links q %}", q=q) == expected


@pytest.mark.parametrize(
    "trial, name",
    [
        (Trial(pk=2, acronym="", registry_id="NCT05552976", slug="nct05552976"), "NCT05552976"),
        (Trial(pk=2, acronym="", registry_id=None, title="A study of X & Y", slug="a-study"), "A study of X &amp; Y"),
    ],
)
def test_question_links_names_a_trial_without_acronym_by_registry_id_then_title(trial, name):
    q = make_question(trial=trial)
    assert question_links(q) == f'<span class="q-links"><a href="{trial.get_absolute_url()}">{name}</a></span>'


def test_question_page_title_is_escaped_next_to_the_tags():
    """The tags sit in templates that also print the title: both must end up escaped, once."""
    q = make_question(title="<script>x</script> & co", asset=Asset(pk=1, name="A&B", slug="a-b"))
    html = render("{{ q.title }} {% question_links q %}", q=q)
    assert html == (
        '&lt;script&gt;x&lt;/script&gt; &amp; co '
        '<span class="q-links"><a href="/assets/a-b/">A&amp;B</a></span>'
    )


# ---------------------------------------------------------------------------------------------------------------
# close_time_text and close_time
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "status, open_delta, close_delta, actual_delta, expected",
    [
        # Not open yet (draft or open): counts down to the opening.
        ("draft", dt.timedelta(days=2), dt.timedelta(days=30), None, f"opens in 2{NBSP}days"),
        ("open", dt.timedelta(hours=5), dt.timedelta(days=30), None, f"opens in 5{NBSP}hours"),
        # Open now: counts down to the scheduled close.
        ("open", -dt.timedelta(days=7), dt.timedelta(days=3), None, f"closes in 3{NBSP}days"),
        ("open", -dt.timedelta(days=7), dt.timedelta(days=30), None, f"closes in 4{NBSP}weeks, 2{NBSP}days"),
        ("open", dt.timedelta(0), dt.timedelta(days=1), None, f"closes in 1{NBSP}day"),  # opening now: open
        ("draft", -dt.timedelta(days=7), dt.timedelta(minutes=45), None, f"closes in 45{NBSP}minutes"),
        # Still "open" after the scheduled close (the close task has not run yet): already closed.
        ("open", -dt.timedelta(days=7), -dt.timedelta(hours=3), None, f"closed 3{NBSP}hours ago"),
        ("draft", -dt.timedelta(days=7), -dt.timedelta(days=1), None, f"closed 1{NBSP}day ago"),
        # Closed, resolved or annulled: the actual close when known...
        ("closed", -dt.timedelta(days=20), dt.timedelta(days=10), -dt.timedelta(days=5), f"closed 5{NBSP}days ago"),
        ("resolved", -dt.timedelta(days=20), -dt.timedelta(days=1), -dt.timedelta(days=2), f"closed 2{NBSP}days ago"),
        ("annulled", -dt.timedelta(days=20), dt.timedelta(days=10), -dt.timedelta(hours=2), f"closed 2{NBSP}hours ago"),
        # ...else the scheduled close.
        ("closed", -dt.timedelta(days=20), -dt.timedelta(days=14), None, f"closed 2{NBSP}weeks ago"),
        ("resolved", -dt.timedelta(days=20), -dt.timedelta(days=1), None, f"closed 1{NBSP}day ago"),
    ],
)
def test_close_time_text(status, open_delta, close_delta, actual_delta, expected):
    q = make_question(
        status=status,
        open_time=NOW + open_delta,
        scheduled_close_time=NOW + close_delta,
        actual_close_time=NOW + actual_delta if actual_delta is not None else None,
    )
    assert close_time_text(q, NOW) == expected


def test_close_time_renders_a_time_element_with_the_scheduled_close_in_utc():
    q = make_question(scheduled_close_time=dt.datetime(2026, 4, 3, 14, 5, tzinfo=UTC))
    expected = (
        '<time datetime="2026-04-03T14:05:00+00:00" title="3 Apr 2026, 14:05 UTC">'
        f"closes in 4{NBSP}weeks, 1{NBSP}day</time>"
    )
    assert close_time(q, NOW) == expected
    assert render("{% close_time q now %}", q=q, now=NOW) == expected
    # The list page stores it once and prints it twice: storing must not escape it a second time.
    assert render("{% close_time q now as close %}{{ close }}|{{ close }}", q=q, now=NOW) == f"{expected}|{expected}"


def test_close_time_converts_another_offset_to_utc():
    plus_two_hours = dt.timezone(dt.timedelta(hours=2))
    q = make_question(
        status="closed",
        scheduled_close_time=dt.datetime(2026, 3, 3, 1, 30, tzinfo=plus_two_hours),
        actual_close_time=None,
    )
    assert close_time(q, NOW) == (
        '<time datetime="2026-03-02T23:30:00+00:00" title="2 Mar 2026, 23:30 UTC">'
        f"closed 2{NBSP}days, 9{NBSP}hours ago</time>"
    )


def test_close_time_value_is_the_actual_close_when_closed_early():
    # The value and title name the moment the text speaks of: a question that closed yesterday does not carry a
    # scheduled close ten days ahead (which read "closed 1 day ago" over "15 Mar 2026").
    q = make_question(
        status="resolved",
        scheduled_close_time=NOW + dt.timedelta(days=10),
        actual_close_time=NOW - dt.timedelta(days=1),
    )
    html = close_time(q, NOW)
    assert html.startswith('<time datetime="2026-03-04T09:07:00+00:00" title="4 Mar 2026, 09:07 UTC">')
    assert html.endswith(f">closed 1{NBSP}day ago</time>")


def test_close_time_without_a_known_moment_is_plain_text():
    q = make_question(status="closed", scheduled_close_time=NOW + dt.timedelta(days=10))
    assert close_time(q, NOW) == "<span>closed early</span>"


# ---------------------------------------------------------------------------------------------------------------
# community_cell
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "summary, expected",
    [
        (CommunitySummary("value", "35%"), '<span class="prob">35%</span>'),
        (
            CommunitySummary("value", "8.25 months", "80% range 5.1–12 months"),
            '<span class="prob">8.25 months</span><span class="item-meta q-detail">80% range 5.1–12 months</span>',
        ),
        (CommunitySummary("hidden", "hidden until 5 Mar 2026"),
         '<span class="muted small">Hidden until 5 Mar 2026</span>'),
        (CommunitySummary("none", "no forecasts yet"), '<span class="muted small">No forecasts yet</span>'),
        # Only the explanations are capitalised; a value is shown as given.
        (CommunitySummary("value", "a lot"), '<span class="prob">a lot</span>'),
    ],
)
def test_community_cell(summary, expected):
    assert community_cell(summary) == expected
    assert render("{% community_cell c %}", c=summary) == expected


def test_community_cell_escapes_value_detail_and_explanation():
    assert community_cell(CommunitySummary("value", "<b>1</b>", "A&B")) == (
        '<span class="prob">&lt;b&gt;1&lt;/b&gt;</span><span class="item-meta q-detail">A&amp;B</span>'
    )
    assert community_cell(CommunitySummary("none", "<i>none</i> & more")) == (
        '<span class="muted small">&lt;i&gt;none&lt;/i&gt; &amp; more</span>'
    )


def test_community_cell_of_a_hidden_question_summary():
    q = make_question(reveal_time=dt.datetime(2099, 6, 1, 12, 0, tzinfo=UTC))
    assert community_cell(community_summary(q, None)) == '<span class="muted small">Hidden until 1 Jun 2099</span>'


def test_close_time_title_is_utc_even_when_another_time_zone_is_active():
    from django.utils import timezone

    q = make_question(scheduled_close_time=dt.datetime(2026, 4, 3, 14, 5, tzinfo=UTC))
    with timezone.override("Europe/Paris"):
        assert close_time(q, NOW).startswith('<time datetime="2026-04-03T14:05:00+00:00" title="3 Apr 2026, 14:05 UTC">')


# ---------------------------------------------------------------------------------------------------------------
# Forecasting stops at the scheduled public moment or when the answer goes pending; resolved rows show the answer
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "status, public_delta, pending_delta, expected",
    [
        # A public moment before the close is when forecasting stops.
        ("open", dt.timedelta(days=3), None, f"closes in 3{NBSP}days"),
        ("open", -dt.timedelta(hours=2), None, f"closed 2{NBSP}hours ago"),
        # A public moment after the close changes nothing.
        ("open", dt.timedelta(days=60), None, f"closes in 4{NBSP}weeks, 2{NBSP}days"),
        # Answer pending: forecasting stopped when the readout was entered (never "closed 0 minutes ago" for a
        # close still to come).
        ("pending", None, -dt.timedelta(hours=5), f"closed 5{NBSP}hours ago"),
        ("open", None, -dt.timedelta(hours=5), f"closed 5{NBSP}hours ago"),
        # A readout ahead of its embargo: nothing shows before the public moment it set.
        ("open", dt.timedelta(days=2), dt.timedelta(days=2), f"closes in 2{NBSP}days"),
        # Closed by staff before its time: no made-up moment.
        ("closed", None, None, "closed early"),
    ],
)
def test_close_time_text_follows_the_end_of_forecasting(status, public_delta, pending_delta, expected):
    q = make_question(
        status=status,
        public_at=NOW + public_delta if public_delta is not None else None,
        pending_since=NOW + pending_delta if pending_delta is not None else None,
    )
    assert close_time_text(q, NOW) == expected


def test_close_time_value_is_the_public_moment_when_it_comes_first():
    q = make_question(public_at=dt.datetime(2026, 3, 8, 16, 30, tzinfo=UTC))
    assert close_time(q, NOW).startswith('<time datetime="2026-03-08T16:30:00+00:00" title="8 Mar 2026, 16:30 UTC">')


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"status": "resolved", "outcome": 1.0},
         '<span class="prob q-answer">Yes</span><span class="item-meta q-detail">Resolved</span>'),
        ({"status": "resolved", "outcome": 0.0},
         '<span class="prob q-answer">No</span><span class="item-meta q-detail">Resolved</span>'),
        ({"status": "resolved", "type": "numeric", "outcome": 0.26, "unit": "hazard ratio"},
         '<span class="prob q-answer">0.26 hazard ratio</span><span class="item-meta q-detail">Resolved</span>'),
        ({"status": "annulled"}, '<span class="prob q-answer">Annulled</span>'),
        ({"status": "pending", "pending_since": NOW}, '<span class="q-pending">Answer pending</span>'),
        # Hidden or not, a resolved question shows its answer (resolution reveals the community anyway).
        ({"status": "resolved", "outcome": 1.0, "reveal_time": dt.datetime(2099, 1, 1, tzinfo=UTC)},
         '<span class="prob q-answer">Yes</span><span class="item-meta q-detail">Resolved</span>'),
    ],
)
def test_community_cell_shows_the_answer_of_a_resolved_annulled_or_pending_question(fields, expected):
    q = make_question(**fields)
    assert community_cell(community_summary(q, None)) == expected
    assert render("{% community_cell c %}", c=community_summary(q, None)) == expected


def test_community_cell_escapes_a_numeric_unit():
    q = make_question(status="resolved", type="numeric", outcome=3.0, unit="<b>mg</b>")
    assert community_cell(community_summary(q, None)) == (
        '<span class="prob q-answer">3 &lt;b&gt;mg&lt;/b&gt;</span><span class="item-meta q-detail">Resolved</span>'
    )
