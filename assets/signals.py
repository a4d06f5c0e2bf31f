"""Signals the assets app sends so that the layers above it can react without assets importing them
(dependencies point one way: assets <- markets <- forecasting)."""
from django.dispatch import Signal

# Sent (inside the writing transaction) after a trial's public moments were added, moved or removed.
# Arguments: ``trial_id``. markets copies the earliest moment to the trial's questions (``Question.public_at``).
public_moments_changed = Signal()
