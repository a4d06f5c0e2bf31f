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
) -> tuple[Asset, bool, bool]:
    """Create or update the asset called ``name`` (matched by name or alias, ignoring case). ``None`` leaves a field
    as it is; ``indications`` are added to the asset's, never removed. Returns ``(asset, created, changed)``; an
    update that changes nothing writes nothing (``updated_at`` stays)."""
    name = _require(name, "name", 200)
    asset = asset_find_by_name(name=name)
    created = asset is None
    if created:
        asset = Asset(name=name, slug=_unique_slug(Asset, name), sponsor=sponsor)
    values = {"sponsor": sponsor, "description": description, "mechanism": None if mechanism is None else mechanism[:300]}
    changed = [f for f, v in values.items() if v is not None and getattr(asset, f) != v]
    for field_name in changed:
        setattr(asset, field_name, values[field_name])
    if created or changed:
        asset.save()
    indications = list(indications)
    if indications:
        linked = set() if created else set(asset.indications.values_list("pk", flat=True))
        new_indications = [i for i in indications if i.pk not in linked]
        if new_indications:
            asset.indications.add(*new_indications)
            changed.append("indications")
    return asset, created, bool(changed)


def asset_aliases_set(*, asset: Asset, development_codes: Sequence[str], other_names: Sequence[str]) -> bool:
    """Make the asset's profile aliases exactly these lists: add the missing, fix the kind or spelling of those that
    moved, delete those the profile no longer lists. Aliases entered by hand (``source`` manual) are never deleted
    or changed, even when the profile lists the same name. An alias equal to the asset's own name is skipped.
    Returns whether anything changed."""
    wanted: dict[str, tuple[str, str]] = {}
    for kind, names in ((AssetAlias.Kind.DEVELOPMENT_CODE, development_codes), (AssetAlias.Kind.OTHER_NAME, other_names)):
        for raw in names:
            alias = _require(raw, "alias", 200)
            if alias.casefold() != asset.name.casefold():
                wanted.setdefault(alias.casefold(), (alias, kind))
    existing = {a.name.casefold(): a for a in asset.aliases.all()}
    changed = False
    for key, alias in existing.items():
        if key not in wanted and alias.source == AssetAlias.Source.PROFILE:
            alias.delete()
            changed = True
    for key, (alias_name, kind) in wanted.items():
        alias = existing.get(key)
        if alias is None:
            AssetAlias.objects.create(asset=asset, name=alias_name, kind=kind, source=AssetAlias.Source.PROFILE)
            changed = True
        elif alias.source == AssetAlias.Source.PROFILE and (alias.kind != kind or alias.name != alias_name):
            alias.kind, alias.name = kind, alias_name
            alias.save(update_fields=["kind", "name"])
            changed = True
    return changed


def asset_commentary_set(*, asset: Asset, sections: Sequence[CommentaryInput]) -> bool:
    """Make the asset's commentary exactly ``sections``, in order (row ``order`` 0, 1, ...); extra rows are deleted.
    Rows that are already so are not written. Returns whether anything changed."""
    existing = {row.order: row for row in CommentarySection.objects.filter(asset=asset)}
    # Written in bulk: a long profile has thousands of sections, and a query per row was most of its save time.
    to_create: list[CommentarySection] = []
    to_update: list[CommentarySection] = []
    for order, section in enumerate(sections):
        values = {
            "heading": _require(section.heading, "heading", 300),
            "emoji": section.emoji[:16],
            "body": section.body.strip(),
        }
        row = existing.get(order)
        if row is None:
            to_create.append(CommentarySection(asset=asset, order=order, **values))
        elif any(getattr(row, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(row, f, v)
            to_update.append(row)
    extra = [row.pk for order, row in existing.items() if order >= len(sections)]
    if extra:
        CommentarySection.objects.filter(pk__in=extra).delete()
    if to_update:
        CommentarySection.objects.bulk_update(to_update, ["heading", "emoji", "body"], batch_size=500)
    if to_create:
        CommentarySection.objects.bulk_create(to_create, batch_size=500)
    return bool(to_create or to_update or extra)
