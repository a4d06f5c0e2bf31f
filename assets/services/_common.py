"""Helpers shared by the assets services: unique slugs and required-text checks. See ``assets.services`` for the
conventions every function follows.
"""
from __future__ import annotations

from django.db import models
from django.utils.text import slugify

from assets.errors import ValidationError


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
