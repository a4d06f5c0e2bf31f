"""Writes for the assets domain: the upserts the importers (and demo data) call.

Every function takes keyword-only, typed arguments and is idempotent: calling it again with the same input changes
nothing, creates no row and writes nothing (the upserts return ``(row, created, changed)``). Functions that take
``None`` for a field leave that field as it is. None of them opens a transaction of its own; callers that need
all-or-nothing (the importers, per file; the registry sync, per study) wrap them in ``transaction.atomic``.
Errors: :class:`assets.errors.ValidationError` naming the field for input the models cannot hold.
"""
from assets.services.asset import (
    CommentaryInput,
    asset_aliases_set,
    asset_commentary_set,
    asset_find_by_name,
    asset_upsert,
)
from assets.services.companies import (
    company_alias_add,
    company_find_by_name,
    company_get_or_create_by_name,
    endpoint_get_or_create,
    endpoint_get_or_create_unknown,
    indication_get_or_create,
)
from assets.services.news import news_content_hash, news_item_find, news_item_upsert, news_resemblance
from assets.services.registry import (
    REGISTRY_STATUSES,
    RegistryReading,
    RegistryUpdate,
    trial_registry_apply,
    trial_registry_values,
)
from assets.services.trials import (
    trial_arm_upsert,
    trial_endpoint_set,
    trial_event_add,
    trial_find,
    trial_upsert,
)

__all__ = [
    "REGISTRY_STATUSES",
    "CommentaryInput",
    "RegistryReading",
    "RegistryUpdate",
    "asset_aliases_set",
    "asset_commentary_set",
    "asset_find_by_name",
    "asset_upsert",
    "company_alias_add",
    "company_find_by_name",
    "company_get_or_create_by_name",
    "endpoint_get_or_create",
    "endpoint_get_or_create_unknown",
    "indication_get_or_create",
    "news_content_hash",
    "news_item_find",
    "news_item_upsert",
    "news_resemblance",
    "trial_arm_upsert",
    "trial_endpoint_set",
    "trial_event_add",
    "trial_find",
    "trial_registry_apply",
    "trial_registry_values",
    "trial_upsert",
]
