"""Fetch every page and API response of a demo database and compare two such captures byte for byte.

    # capture: copies DB to a temporary file first, so the given database is never written to
    .venv/bin/python scripts/compare_responses.py capture /tmp/demo.sqlite3 /tmp/before
    .venv/bin/python scripts/compare_responses.py capture /tmp/demo.sqlite3 /tmp/after
    .venv/bin/python scripts/compare_responses.py diff /tmp/before /tmp/after

A capture runs Django in-process with time frozen (freezegun) and the test Client, as three visitors: anonymous, a
demo forecaster (amira) and the staff admin (admin). It walks the URL resolver, fills each path parameter with real
ids, slugs and usernames from the database (questions of every status, every asset and trial, proposals, markets,
readouts), adds the list pages' filters and pagination, the CSV exports, /api/v1/schema/, and the admin's changelist,
add and change pages of every registered model. Only GET requests are sent, so the data never changes between
fetches. Each response is written as ``<visitor>/<n>.txt`` holding the URL, the status, the content type, the
Location header and the body, plus ``index.txt`` listing them.

The only thing normalised is random by nature: CSRF tokens (the hidden form field, the cookie, the meta tag and the
Swagger UI's header). DEBUG is off, so a server error is the plain 500 page, not a traceback with memory addresses.
"""
import argparse
import hashlib
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

FROZEN_AT = "2026-06-01T12:00:00+00:00"
VISITORS = ("anonymous", "amira", "admin")
CSRF_PATTERNS = [
    (re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"'), b'name="csrfmiddlewaretoken" value="<csrf>"'),
    (re.compile(rb'(<meta name="csrf-token" content=")[^"]+"'), rb'\1<csrf>"'),
    (re.compile(rb'("csrfToken": ")[^"]+"'), rb'\1<csrf>"'),
    (re.compile(rb'(csrftoken=)[A-Za-z0-9]+'), rb'\1<csrf>'),
    (re.compile(rb'("X-CSRFToken": ")[^"]+"'), rb'\1<csrf>"'),
    (re.compile(rb'(request.headers\["X-CSRFTOKEN"\] = ")[^"]+"'), rb'\1<csrf>"'),  # Swagger UI
]


def normalise(body: bytes) -> bytes:
    for pattern, replacement in CSRF_PATTERNS:
        body = pattern.sub(replacement, body)
    return body


def _setup(db_path: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forecasting.settings")
    os.environ["DJANGO_ENV"] = "development"
    os.environ["DEBUG"] = "false"  # plain 500 pages: the technical ones show memory addresses and file paths
    import django

    django.setup()


def _pattern_string(pattern) -> str:
    """A resolver pattern as a path template with ``{name}`` placeholders."""
    from django.urls.resolvers import RegexPattern, RoutePattern

    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:[^>:]+:)?([^>]+)>", r"{\1}", str(pattern._route))
    if isinstance(pattern, RegexPattern):
        text = pattern._regex.lstrip("^").rstrip("$")
        text = re.sub(r"\\\.\(\?P<format>[^)]*\)/\?", ".{format}", text)  # DRF format suffixes
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
        return text.replace("\\.", ".").replace("\\", "")
    return str(pattern)


def _walk(patterns, prefix=""):
    from django.urls.resolvers import URLPattern, URLResolver

    for entry in patterns:
        here = prefix + _pattern_string(entry.pattern)
        if isinstance(entry, URLResolver):
            if here.startswith("admin/"):
                continue  # the admin's pages come from its registry (_admin_urls)
            yield from _walk(entry.url_patterns, here)
        elif isinstance(entry, URLPattern):
            yield here


def _values(template: str, name: str, db: dict) -> list[str]:
    if name == "format":
        return ["json"]
    if name == "username":
        return db["usernames"]
    if name in ("uidb64", "token"):
        return ["MQ" if name == "uidb64" else "set-password"]
    api = template.startswith("api/v1/")
    rest = template[len("api/v1/"):] if api else template
    first = rest.split("/", 1)[0]
    if name == "slug":
        if first == "assets":
            return db["asset_slugs"]
        if first == "trials":
            return db["trial_slugs"]
        return db["question_slugs"]
    if name == "pk":
        table = {
            "questions": "question_ids", "markets": "market_ids", "proposals": "proposal_ids",
            "resolutions": "proposal_ids", "companies": "company_ids", "assets": "asset_ids", "trials": "trial_ids",
            "news": "news_ids", "indications": "indication_ids", "endpoints": "endpoint_ids", "readouts": "readout_ids",
        }
        if first == "staff":
            return db["proposal_ids"]
        return db[table.get(first, "question_ids")] + ["999999"]
    return ["x"]


def _expand(template: str, db: dict) -> list[str]:
    names = re.findall(r"{(\w+)}", template)
    urls = [template]
    for name in names:
        urls = [url.replace("{%s}" % name, value, 1) for url in urls for value in _values(template, name, db)]
    return ["/" + url for url in urls]


def _db_values() -> dict:
    from django.contrib.auth import get_user_model

    from assets.models import Asset, Company, Endpoint, Indication, NewsItem, Trial
    from markets.models import Market, Question

    one_per_status = []
    for status in Question.Status.values:
        for question_type in Question.Type.values:
            row = Question.objects.filter(status=status, type=question_type).order_by("pk").first()
            if row:
                one_per_status.append(row)
    questions = sorted(set(one_per_status), key=lambda q: q.pk)
    from assets.models import Readout
    from forecasting.models import ProposedResolution

    proposals = list(ProposedResolution.objects.order_by("pk").values_list("pk", flat=True)[:3])
    readouts = list(Readout.objects.order_by("pk").values_list("pk", flat=True)[:2])
    ids = lambda model, n=2: [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:n]]  # noqa
    return {
        "question_slugs": [q.slug for q in questions] + ["no-such-question"],
        "question_ids": [str(q.pk) for q in questions],
        "asset_slugs": list(Asset.objects.order_by("pk").values_list("slug", flat=True)) + ["no-such-asset"],
        "trial_slugs": list(Trial.objects.order_by("pk").values_list("slug", flat=True)) + ["no-such-trial"],
        "asset_ids": ids(Asset), "trial_ids": ids(Trial), "company_ids": ids(Company), "news_ids": ids(NewsItem),
        "indication_ids": ids(Indication), "endpoint_ids": ids(Endpoint), "market_ids": ids(Market, 4),
        "proposal_ids": [str(pk) for pk in proposals], "readout_ids": [str(pk) for pk in readouts],
        "usernames": ["amira", "admin", get_user_model().objects.order_by("pk").values_list("username", flat=True)
                      .exclude(username__in=["amira", "admin"]).first() or "amira", "nobody-here"],
    }


def _query_variants(db: dict) -> list[str]:
    """List pages with their filters, orderings and pagination."""
    from assets.models import Asset, Trial
    from markets.models import Question

    asset = Asset.objects.order_by("pk").first()
    trial = Trial.objects.order_by("pk").first()
    urls = []
    for base in ("/questions/", "/api/v1/questions/"):
        urls += [f"{base}?status={status}" for status in Question.Status.values]
        urls += [f"{base}?type={kind}" for kind in Question.Type.values]
        urls += [f"{base}?asset={asset.slug}", f"{base}?trial={trial.slug}", f"{base}?q=PFS", f"{base}?page=2",
                 f"{base}?page=999", f"{base}?status=open&type=binary&page=2"]
    urls += [f"/questions/?sort={sort}" for sort in ("close", "-close", "forecasters", "new", "bogus")]
    orderings = ("close", "-close", "forecasters", "-forecasters", "new")
    urls += [f"/api/v1/questions/?ordering={sort}" for sort in orderings]
    for base in ("/leaderboards/", "/api/v1/leaderboards/"):
        urls += [f"{base}?scope={scope}" for scope in ("global", "season", "asset", "trial", "indication", "bogus")]
        urls += [f"{base}?order=mean", f"{base}?scope=asset&key={asset.slug}", f"{base}?scope=trial&key={trial.slug}",
                 f"{base}?page=2"]
    urls += ["/leaderboards/export.csv?scope=global", "/api/v1/leaderboards/export.csv?order=mean"]
    for base in ("/assets/", "/trials/", "/api/v1/assets/", "/api/v1/trials/", "/api/v1/companies/", "/api/v1/news/"):
        urls += [f"{base}?q=mezigdomide", f"{base}?page=2", f"{base}?q=zz-nothing"]
    urls += ["/assets/?sponsor=bristol-myers-squibb", "/trials/?phase=3", "/trials/?status=completed",
             "/api/v1/trials/?phase=3"]
    urls += ["/api/v1/proposals/?status=" + s for s in ("pending", "confirmed", "rejected", "all")]
    urls += [f"/api/v1/proposals/?readout={pk}" for pk in db["readout_ids"]]
    urls += [f"/staff/readouts/new/?trial={trial.slug}", "/markets/portfolio/?page=2", "/api/v1/me/trades/?limit=5",
             "/healthz?deep=1"]
    for pk in db["question_ids"]:
        urls += [f"/api/v1/questions/{pk}/community/?include_cdf=1"]
    return urls


def _admin_urls() -> list[str]:
    from django.contrib import admin

    urls = ["/admin/"]
    for model, _ in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        opts = model._meta
        base = f"/admin/{opts.app_label}/{opts.model_name}/"
        urls += [base, f"{base}add/", f"{base}?p=1", f"{base}?o=-1"]
        for pk in model._default_manager.order_by("pk").values_list("pk", flat=True)[:1]:
            urls += [f"{base}{pk}/change/", f"{base}{pk}/history/"]
    return urls


def capture(db_path: str, out_dir: str) -> int:
    work = tempfile.mkdtemp(prefix="compare-responses-")
    copy = os.path.join(work, "db.sqlite3")
    shutil.copyfile(db_path, copy)
    _setup(copy)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import get_resolver
    from freezegun import freeze_time

    setup_test_environment()  # ALLOWED_HOSTS gains 'testserver'
    out = Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    db = _db_values()
    urls = []
    for template in _walk(get_resolver().url_patterns):
        urls += _expand(template, db)
    urls += _query_variants(db) + _admin_urls()
    urls = list(dict.fromkeys(urls))
    count = 0
    with freeze_time(FROZEN_AT):
        for visitor in VISITORS:
            client = Client(raise_request_exception=False)
            if visitor != "anonymous":
                client.force_login(get_user_model().objects.get(username=visitor))
            folder = out / visitor
            folder.mkdir(parents=True)
            index = []
            for n, url in enumerate(urls):
                response = client.get(url)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                head = (f"GET {url}\nstatus: {response.status_code}\ncontent-type: {response.get('Content-Type', '')}\n"
                        f"location: {response.get('Location', '')}\n\n").encode()
                (folder / f"{n:04d}.txt").write_bytes(head + normalise(body))
                index.append(f"{n:04d} {response.status_code} {url}")
                count += 1
            (folder / "index.txt").write_text("\n".join(index) + "\n")
    shutil.rmtree(work)
    print(f"captured {count} responses ({len(urls)} URLs x {len(VISITORS)} visitors) into {out}")
    return 0


def diff(before: str, after: str) -> int:
    a, b = Path(before), Path(after)
    names_a = {p.relative_to(a) for p in a.rglob("*.txt")}
    names_b = {p.relative_to(b) for p in b.rglob("*.txt")}
    differences = sorted(str(n) for n in names_a ^ names_b)
    for name in sorted(names_a & names_b):
        if (a / name).read_bytes() != (b / name).read_bytes():
            differences.append(str(name))
    compared = len(names_a & names_b - {Path(v) / "index.txt" for v in VISITORS})
    for name in differences[:50]:
        first = (a / name).read_bytes().split(b"\n", 1)[0] if (a / name).exists() else b"(missing)"
        print(f"DIFFERENT {name}: {first.decode(errors='replace')}")
    digest = hashlib.sha256(b"".join((a / n).read_bytes() for n in sorted(names_a))).hexdigest()[:12]
    print(f"compared {compared} responses, {len(differences)} differences (before digest {digest})")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("database")
    cap.add_argument("out_dir")
    dif = sub.add_parser("diff")
    dif.add_argument("before")
    dif.add_argument("after")
    args = parser.parse_args()
    if args.mode == "capture":
        return capture(args.database, args.out_dir)
    return diff(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
