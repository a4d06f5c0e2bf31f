"""Every id reference in the main pages resolves: aria-describedby, aria-labelledby, aria-controls, <label for>, and
ids are unique, as an anonymous visitor, a forecaster and staff (screen readers read nothing, or the wrong text, for
a reference to a missing or duplicated id). Pages come from tests/page_world.py plus the forms."""
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.page_world import build_world, main_pages

REFERENCING = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-owns", "aria-activedescendant", "for",
               "list", "form")


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.refs = Counter(), []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids[value] += 1
            elif name in REFERENCING:
                if name == "form" and tag not in ("input", "button", "select", "textarea", "fieldset", "output"):
                    continue
                for ref in value.split():
                    self.refs.append((tag, name, ref))

    handle_startendtag = handle_starttag


def problems(html: str) -> list[str]:
    parser = Ids()
    parser.feed(html)
    found = [f"<{tag} {name}=\"{ref}\">: no element has id {ref!r}" for tag, name, ref in parser.refs
             if ref not in parser.ids]
    found += [f"id {i!r} is used {n} times" for i, n in parser.ids.items() if n > 1]
    return found


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_world()


def pages_for(world, who: str) -> dict[str, str]:
    pages = main_pages(world)
    pages.update({"log in": "/accounts/login/", "sign up": "/accounts/signup/",
                  "profile": "/users/amira/", "trials": "/trials/", "assets": "/assets/"})
    if who == "anonymous":
        pages.pop("portfolio")
    if who in ("forecaster", "staff"):
        pages.pop("log in")
        pages.pop("sign up")
        pages.update({"my forecasts": "/questions/mine/", "profile edit": "/accounts/profile/"})
    if who == "staff":
        pages.update({"new question": "/questions/new/",
                      "edit question": f"/questions/{world['binary'].slug}/edit/",
                      "resolutions": "/staff/resolutions/"})
    return pages


# Pages built on templates/questions/includes/field.html (forms for forecasters and staff): their help texts and
# errors carry the ids Django's aria-describedby names (<id>_helptext, <id>_error).
QUESTION_FIELD_PAGES = {"binary question", "numeric question", "new question", "edit question"}


def check(world, who, names):
    client = Client()
    if who != "anonymous":
        client.force_login(world["staff" if who == "staff" else "amira"])
    broken = {}
    for name, path in pages_for(world, who).items():
        if name not in names:
            continue
        response = client.get(path)
        assert response.status_code == 200, (name, path, response.status_code)
        found = problems(response.content.decode())
        if found:
            broken[f"{name} ({path})"] = found
    assert broken == {}, "\n".join(f"{page}: {p}" for page, ps in broken.items() for p in ps)


@pytest.mark.parametrize("who", ["anonymous", "forecaster", "staff"])
def test_every_id_reference_resolves(world, who):
    pages = set(pages_for(world, who))
    check(world, who, pages if who == "anonymous" else pages - QUESTION_FIELD_PAGES)  # no forms for anonymous


@pytest.mark.parametrize("who", ["forecaster", "staff"])
def test_every_id_reference_resolves_on_the_question_pages(world, who):
    check(world, who, QUESTION_FIELD_PAGES)


def test_the_checker_finds_a_dangling_reference():
    assert problems('<input aria-describedby="nope"><label for="x">X</label><p id="x"></p>') == [
        "<input aria-describedby=\"nope\">: no element has id 'nope'"]
    assert problems('<p id="a"></p><p id="a"></p>') == ["id 'a' is used 2 times"]
