"""Writes that more than one importer makes, through :mod:`assets.services`.

Unlike :mod:`assets.importers.common`, this module touches the database: only the ``import_*`` functions call it.
"""
from __future__ import annotations

from assets import services
from assets.models import Trial


def trial_endpoint_save(
    *, trial: Trial, code: str, name: str, known: bool, kind: str, description: str, order: int
) -> bool:
    """Link ``trial`` to the endpoint an importer recognised, creating the Endpoint row if needed.

    ``known`` says whether ``code`` is one of :data:`assets.importers.endpoints.KNOWN_ENDPOINTS`: a known code is
    matched by code, while a code derived from an unfamiliar phrase is reused only for an endpoint of the same name
    (a clash of codes gets a numeric suffix), so two different unknown measures never merge. Returns whether
    anything was written.
    """
    if known:
        endpoint, endpoint_created = services.endpoint_get_or_create(code=code, name=name)
    else:
        endpoint, endpoint_created = services.endpoint_get_or_create_unknown(code=code, name=name)
    _, _, changed = services.trial_endpoint_set(trial=trial, endpoint=endpoint, kind=kind, description=description, order=order)
    return endpoint_created or changed
