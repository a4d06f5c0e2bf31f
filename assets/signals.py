"""Signals the assets app sends so that the layers above it can react without assets importing them
(dependencies point one way: assets <- markets <- forecasting)."""
from django.dispatch import Signal

# Sent (inside the writing transaction) after a trial's public moments were added, moved or removed.
# Arguments: ``trial_id``. markets copies the earliest moment to the trial's questions (``Question.public_at``).
public_moments_changed = Signal()

# Sent (inside the writing transaction, after the rows are saved) when a reading of a trial's ClinicalTrials.gov
# record wrote history rows: by the registry sync and by the ClinicalTrials.gov file import. Arguments: ``trial_id``
# and ``change_ids`` (the new TrialRegistryChange rows, in field order). Not sent when a reading changes nothing.
# forecasting proposes resolutions for the questions bound to the trial (docs/resolution.md).
registry_changed = Signal()

# Sent once the transaction that created a news item has committed (never for a rolled-back one), with
# ``news_id``. forecasting notifies the followers of the item's trials and assets. Not sent when an import updates an
# item that already existed.
news_published = Signal()
