"""Writes for the assets domain: the upserts the importers (and demo data) call.

Every function takes keyword-only, typed arguments and is idempotent: calling it again with the same input changes
nothing and creates no row. Functions that take ``None`` for a field leave that field as it is. None of them opens a
transaction of its own; callers that need all-or-nothing (the importers, per file) wrap them in ``transaction.atomic``.
Errors: :class:`assets.errors.ValidationError` naming the field for input the models cannot hold.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.db import models
from django.utils.text import slugify

from assets.companies import WELL_KNOWN_COMPANIES, alias_candidates, clean_company_name, company_key, well_known_canonical
from assets.errors import ValidationError
from assets.importers.text import PRECISION_RANK, match_key, period_end
from assets.models import (
    NCT_ID_VALIDATOR,
    Arm,
    Asset,
    AssetAlias,
    CommentarySection,
    Company,
    CompanyAlias,
    Endpoint,
    Indication,
    NewsItem,
    Trial,
    TrialEndpoint,
    TrialEvent,
)


def _unique_slug(model: type[models.Model], text: str, *, exclude_pk: int | None = None, max_length: int = 200) -> str:
    """A slug for ``text`` not used by another row of ``model`` ("successor-2", then "successor-2-2", ...)."""
    base = slugify(text)[: max_length - 4] or model.__name__.lower()
    slug, n = base, 1
    while model.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _require(value: str, field: str, limit: int) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError(f"{field} must not be empty.", field=field)
    if len(value) > limit:
        raise ValidationError(f"{field} must be at most {limit} characters (got {len(value)}).", field=field)
    return value


# --- companies -----------------------------------------------------------------------------------------------------

def company_find_by_name(*, name: str) -> Company | None:
    """The company called ``name`` or known by it as an alias, ignoring case, punctuation, hyphens and a trailing
    legal form; failing that, the company the well-known table groups it with ("Celgene" -> Bristol-Myers Squibb)."""
    key = company_key(name)
    if not key:
        return None
    canonical = well_known_canonical(name)
    group = {company_key(n) for n in [canonical, *WELL_KNOWN_COMPANIES[canonical]]} if canonical else set()
    by_group = None
    for company in Company.objects.prefetch_related("aliases").order_by("pk"):
        keys = {company_key(company.name)} | {company_key(a.name) for a in company.aliases.all()}
        if key in keys:
            return company
        if by_group is None and keys & group:
            by_group = company
    return by_group


def company_alias_add(*, company: Company, name: str) -> CompanyAlias | None:
    """Give ``company`` the alias ``name`` unless it is its own name or another company uses it (then ``None``):
    an alias must point at one company only."""
    name = " ".join(name.split())
    if not name or len(name) > 200 or name.casefold() == company.name.casefold():
        return None
    existing = CompanyAlias.objects.filter(name__iexact=name).first()
    if existing:
        return existing if existing.company_id == company.pk else None
    other = company_find_by_name(name=name)
    if other is not None and other.pk != company.pk and company_key(name) in (
        {company_key(other.name)} | {company_key(a.name) for a in other.aliases.all()}
    ):
        return None
    return CompanyAlias.objects.create(company=company, name=name)


def company_get_or_create_by_name(*, name: str, add_aliases: bool = True, canonical: bool = False) -> tuple[Company, bool]:
    """The company ``name`` refers to (see :func:`company_find_by_name`), created if there is none.

    A new company is called ``name`` as given (a curated profile's spelling), or with ``canonical`` (for registry
    names such as "Janssen Research & Development, LLC") by the well-known table's name, else ``name`` less its legal
    form. With ``add_aliases`` it also gets the aliases of :func:`assets.companies.alias_candidates` that no other
    company uses: for "Bristol-Myers Squibb", "Bristol Myers Squibb", "BMS", "Celgene". Returns ``(company, created)``.
    """
    given = _require(name, "sponsor", 200)
    company = company_find_by_name(name=given)
    created = company is None
    if created:
        display = (well_known_canonical(given) or clean_company_name(given)) if canonical else given
        company = Company.objects.create(name=display, slug=_unique_slug(Company, display))
    if add_aliases:
        for alias in alias_candidates(company.name, original=given):
            company_alias_add(company=company, name=alias)
    return company, created


# --- indications and endpoints -------------------------------------------------------------------------------------

def indication_get_or_create(*, name: str, abbreviation: str = "") -> tuple[Indication, bool]:
    """The indication with this name (ignoring case and punctuation) or, when given, this abbreviation; else a new one.
    An existing indication without an abbreviation gets this one."""
    name = _require(name, "indication", 200)
    abbreviation = (abbreviation or "").strip()[:40]
    key = match_key(name)
    for indication in Indication.objects.all():
        if match_key(indication.name) == key or (abbreviation and indication.abbreviation.casefold() == abbreviation.casefold()):
            if abbreviation and not indication.abbreviation:
                indication.abbreviation = abbreviation
                indication.save(update_fields=["abbreviation"])
            return indication, False
    indication = Indication(name=name, abbreviation=abbreviation)
    indication.slug = _unique_slug(Indication, abbreviation or name)
    indication.save()
    return indication, True


def endpoint_get_or_create(*, code: str, name: str = "") -> tuple[Endpoint, bool]:
    """The endpoint with this code (ignoring case); else one with this name; else a new one.

    A derived code that is taken by an endpoint of another name gets a numeric suffix ("TTD" -> "TTD2"), so two
    different unknown measures never merge.
    """
    code = _require(code, "endpoint code", 30)
    name = " ".join((name or code).split())[:200]
    endpoint = Endpoint.objects.filter(code__iexact=code).first()
    if endpoint:
        return endpoint, False
    if name:
        endpoint = Endpoint.objects.filter(name__iexact=name).first()
        if endpoint:
            return endpoint, False
    return Endpoint.objects.create(code=code, name=name), True


def endpoint_get_or_create_unknown(*, code: str, name: str) -> tuple[Endpoint, bool]:
    """Like :func:`endpoint_get_or_create` for a code derived from an unfamiliar phrase: reuse an endpoint only when
    its name matches; a clash of codes gets a suffix."""
    name = _require(name, "endpoint name", 200)
    existing = Endpoint.objects.filter(name__iexact=name).first()
    if existing:
        return existing, False
    base = _require(code, "endpoint code", 28)
    candidate, n = base, 1
    while Endpoint.objects.filter(code__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return Endpoint.objects.create(code=candidate, name=name), True


# --- assets --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CommentaryInput:
    heading: str
    body: str
    emoji: str = ""


def asset_find_by_name(*, name: str) -> Asset | None:
    """The asset called ``name`` or having it as an alias (development code, other name), ignoring case."""
    return Asset.objects.filter(name__iexact=name).first() or Asset.objects.filter(aliases__name__iexact=name).first()


def asset_upsert(
    *,
    name: str,
    sponsor: Company,
    description: str | None = None,
    mechanism: str | None = None,
    indications: Iterable[Indication] = (),
) -> tuple[Asset, bool]:
    """Create or update the asset called ``name`` (matched by name or alias, ignoring case). ``indications`` are
    added to the asset's, never removed. Returns ``(asset, created)``."""
    name = _require(name, "name", 200)
    asset = asset_find_by_name(name=name)
    created = asset is None
    if created:
        asset = Asset(name=name, slug=_unique_slug(Asset, name), sponsor=sponsor)
    asset.sponsor = sponsor
    if description is not None:
        asset.description = description
    if mechanism is not None:
        asset.mechanism = mechanism[:300]
    asset.save()
    indications = list(indications)
    if indications:
        asset.indications.add(*indications)
    return asset, created


def asset_aliases_set(*, asset: Asset, development_codes: Sequence[str], other_names: Sequence[str]) -> None:
    """Make the asset's aliases exactly these lists (the profile is their source): add the missing, fix the kind of
    those that moved, delete the rest. An alias equal to the asset's own name is skipped."""
    wanted: dict[str, tuple[str, str]] = {}
    for kind, names in ((AssetAlias.Kind.DEVELOPMENT_CODE, development_codes), (AssetAlias.Kind.OTHER_NAME, other_names)):
        for raw in names:
            alias = _require(raw, "alias", 200)
            if alias.casefold() != asset.name.casefold():
                wanted.setdefault(alias.casefold(), (alias, kind))
    existing = {a.name.casefold(): a for a in asset.aliases.all()}
    for key, alias in existing.items():
        if key not in wanted:
            alias.delete()
    for key, (alias_name, kind) in wanted.items():
        alias = existing.get(key)
        if alias is None:
            AssetAlias.objects.create(asset=asset, name=alias_name, kind=kind)
        elif alias.kind != kind or alias.name != alias_name:
            alias.kind, alias.name = kind, alias_name
            alias.save(update_fields=["kind", "name"])


def asset_commentary_set(*, asset: Asset, sections: Sequence[CommentaryInput]) -> None:
    """Make the asset's commentary exactly ``sections``, in order (row ``order`` 0, 1, ...); extra rows are deleted."""
    for order, section in enumerate(sections):
        CommentarySection.objects.update_or_create(
            asset=asset,
            order=order,
            defaults={
                "heading": _require(section.heading, "heading", 300),
                "emoji": section.emoji[:16],
                "body": section.body.strip(),
            },
        )
    CommentarySection.objects.filter(asset=asset, order__gte=len(sections)).delete()


# --- trials --------------------------------------------------------------------------------------------------------

_UNSET = object()


def trial_find(*, registry_id: str | None = None, acronym: str = "") -> Trial | None:
    """The trial with this NCT id; else the trial with this acronym (ignoring case) that has no other NCT id."""
    if registry_id:
        trial = Trial.objects.filter(registry_id__iexact=registry_id).first()
        if trial:
            return trial
    if acronym:
        candidates = Trial.objects.filter(acronym__iexact=acronym)
        if registry_id:
            candidates = candidates.filter(registry_id__isnull=True)
        return candidates.order_by("pk").first()
    return None


def trial_upsert(
    *,
    registry_id: str | None = None,
    acronym: str = "",
    title: str | None = None,
    phase: str | None = None,
    status: str | None = None,
    sponsor: Company | None = None,
    indication: Indication | None = None,
    population: str | None = None,
    enrollment: int | None = None,
    start_date: dt.date | None = None,
    primary_completion_date: dt.date | None = None,
    expected_readout: str | None = None,
    assets: Iterable[Asset] = (),
    fill_only: Collection[str] = (),
) -> tuple[Trial, bool]:
    """Create or update a trial matched by NCT id, else by acronym (see :func:`trial_find`).

    ``None`` leaves a field as it is; fields named in ``fill_only`` are set only while empty (a registry record
    does not overwrite the curated indication, say). A missing NCT id or acronym is filled in, never replaced.
    ``assets`` are added, never removed. Errors: ValidationError for an NCT id that is not NCT + 8 digits, or a
    trial with neither NCT id nor acronym.
    """
    registry_id = (registry_id or "").strip().upper() or None
    acronym = " ".join((acronym or "").split())[:100]
    if registry_id:
        try:
            NCT_ID_VALIDATOR(registry_id)
        except Exception:
            raise ValidationError(f"{registry_id!r} is not an NCT id (NCT followed by 8 digits).", field="registry_id") from None
    if not registry_id and not acronym:
        raise ValidationError("A trial needs an NCT id or an acronym.", field="registry_id")
    trial = trial_find(registry_id=registry_id, acronym=acronym)
    created = trial is None
    if created:
        trial = Trial(registry_id=registry_id, acronym=acronym)
        trial.slug = _unique_slug(Trial, acronym or registry_id or "trial")
    if registry_id and not trial.registry_id:
        trial.registry_id = registry_id
    if acronym and not trial.acronym:
        trial.acronym = acronym
    values = {
        "title": title, "phase": phase, "status": status, "sponsor": sponsor, "indication": indication,
        "population": population, "enrollment": enrollment, "start_date": start_date,
        "primary_completion_date": primary_completion_date, "expected_readout": expected_readout,
    }
    for field_name, value in values.items():
        if value is None:
            continue
        if field_name in fill_only and getattr(trial, field_name) not in (None, "", Trial.Status.UNKNOWN):
            continue
        if field_name == "expected_readout":
            value = value[:200]
        setattr(trial, field_name, value)
    trial.save()
    assets = list(assets)
    if assets:
        trial.assets.add(*assets)
    return trial, created


def _drug_words(text: str) -> frozenset[str]:
    ignore = {"and", "plus", "with", "drug", "biological", "placebo", "matching", "oral", "iv", "sc", "mg", "the", "of"}
    return frozenset(w for w in match_key(text).split() if w not in ignore and not w.isdigit() and len(w) > 2)


def trial_arm_upsert(*, trial: Trial, name: str, role: str, description: str = "", order: int | None = None, fill_description: bool = False) -> tuple[Arm, bool]:
    """Create or update the arm called ``name`` (ignoring case) or whose regimen names the same drugs.

    ``description`` replaces the regimen unless ``fill_description`` (then it is only filled in when blank).
    Returns ``(arm, created)``.
    """
    name = _require(name, "arm name", 200)
    if role not in Arm.Role.values:
        raise ValidationError(f"Arm role must be one of {', '.join(Arm.Role.values)}.", field="role")
    arm = trial.arms.filter(name__iexact=name).first()
    if arm is None and description:
        words = _drug_words(description)
        if words:
            arm = next((a for a in trial.arms.all() if a.description and _drug_words(a.description) == words), None)
    created = arm is None
    if created:
        arm = Arm(trial=trial, name=name, order=trial.arms.count() if order is None else order)
    arm.role = role
    if description and (not fill_description or not arm.description):
        arm.description = description
    if order is not None:
        arm.order = order
    arm.save()
    return arm, created


def trial_endpoint_set(
    *, trial: Trial, endpoint: Endpoint, kind: str, description: str = "", order: int = 0, downgrade: bool = False
) -> tuple[TrialEndpoint, bool]:
    """Record that ``trial`` measures ``endpoint`` as ``kind`` (primary / key_secondary / secondary).

    An existing row keeps its rank unless the new one is higher (primary > key secondary > secondary) or
    ``downgrade`` is set, so a registry listing OS as "secondary" does not undo a profile's "key secondary".
    """
    if kind not in TrialEndpoint.Kind.values:
        raise ValidationError(f"Endpoint kind must be one of {', '.join(TrialEndpoint.Kind.values)}.", field="kind")
    rank = TrialEndpoint.KIND_RANK
    row = TrialEndpoint.objects.filter(trial=trial, endpoint=endpoint).first()
    if row is None:
        return TrialEndpoint.objects.create(trial=trial, endpoint=endpoint, kind=kind, description=description[:1000], order=order), True
    changed = []
    if downgrade or rank[kind] < rank[row.kind]:
        if row.kind != kind:
            row.kind, row.order = kind, order
            changed += ["kind", "order"]
    if description and not row.description:
        row.description = description
        changed.append("description")
    if changed:
        row.save(update_fields=changed)
    return row, False


def trial_event_add(
    *,
    trial: Trial,
    kind: str,
    date: dt.date,
    description: str,
    precision: str = "day",
    news: NewsItem | None = None,
) -> tuple[TrialEvent, bool]:
    """Add an event to a trial's timeline unless it is already there. Returns ``(event, created)``.

    The same event (kind and description) known to different precision is one row: "March 2026" from a profile and
    2026-03-09 from a news item become one event dated 2026-03-09; importing the profile again then adds nothing.
    ``precision`` is day, month, quarter, half or year; ``date`` is the first day of that period.
    """
    description = _require(description, "description", 500)
    if kind not in TrialEvent.Kind.values:
        raise ValidationError(f"Event kind must be one of {', '.join(TrialEvent.Kind.values)}.", field="kind")
    if precision not in PRECISION_RANK:
        raise ValidationError(f"Date precision must be one of {', '.join(PRECISION_RANK)}.", field="precision")
    same = list(TrialEvent.objects.filter(trial=trial, kind=kind, description=description))
    for event in same:
        if event.date == date and event.date_precision == precision:
            if news is not None and event.news_id is None:
                event.news = news
                event.save(update_fields=["news"])
            return event, False
    for event in same:
        old_rank, new_rank = PRECISION_RANK[event.date_precision], PRECISION_RANK[precision]
        if new_rank < old_rank and event.date <= date <= period_end(event.date, event.date_precision):
            event.date, event.date_precision = date, precision  # a finer date for the same event
            if news is not None:
                event.news = news
            event.save(update_fields=["date", "date_precision", "news"])
            return event, False
        if new_rank >= old_rank and date <= event.date <= period_end(date, precision):
            return event, False  # already known, and more precisely
    event = TrialEvent.objects.create(trial=trial, kind=kind, date=date, date_precision=precision, description=description, news=news)
    return event, True


# --- news ----------------------------------------------------------------------------------------------------------

def news_content_hash(*, date: dt.date, body: str) -> str:
    """SHA-256 (hex) of the date and the body with Unicode normalised (NFC) and every run of whitespace made one
    space, so re-wrapped copies of the same item hash alike."""
    text = unicodedata.normalize("NFC", body)
    text = re.sub(r"\s+", " ", text).strip()
    return hashlib.sha256(f"{date.isoformat()}\n{text}".encode()).hexdigest()


def news_item_upsert(
    *,
    date: dt.date,
    body: str,
    title: str = "",
    source: str = "",
    url: str = "",
    companies: Iterable[Company] = (),
    assets: Iterable[Asset] = (),
    trials: Iterable[Trial] = (),
) -> tuple[NewsItem, bool]:
    """Create the news item with this date and body, or update the one with the same content hash; its links are
    set to exactly ``companies``, ``assets`` and ``trials``. Returns ``(item, created)``."""
    body = body.strip()
    if not body:
        raise ValidationError("A news item needs a body.", field="body")
    item, created = NewsItem.objects.update_or_create(
        content_hash=news_content_hash(date=date, body=body),
        defaults={"date": date, "body": body, "title": title[:300], "source": source[:300], "url": url},
    )
    item.companies.set(list(companies))
    item.assets.set(list(assets))
    item.trials.set(list(trials))
    return item, created
