"""Companies (with their aliases), indications and endpoints. See ``assets.services`` for the conventions every
function follows.
"""
from __future__ import annotations

from assets.companies import (
    WELL_KNOWN_COMPANIES,
    alias_candidates,
    clean_company_name,
    company_key,
    well_known_canonical,
)
from assets.importers.text import match_key
from assets.models import (
    Company,
    CompanyAlias,
    Endpoint,
    Indication,
)
from assets.services._common import _require, _unique_slug

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
