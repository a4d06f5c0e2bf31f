"""Assets (drugs in development): upsert, aliases, commentary. See ``assets.services`` for the conventions every
function follows.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assets.models import (
    Asset,
    AssetAlias,
    CommentarySection,
    Company,
    Indication,
)
from assets.services._common import _require, _unique_slug

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
