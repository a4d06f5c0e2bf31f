from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "forecasting"
    verbose_name = "Forecasting"

    def ready(self):
        # Register the Celery tasks in every process (web and worker), so forecasting.common.enqueue can find them
        # by name; the rooms' services never import their task modules.
        from forecasting.accounts import tasks as account_tasks  # noqa: F401
        from forecasting.pipeline import tasks  # noqa: F401
        from forecasting.notifications import tasks as notification_tasks  # noqa: F401
        from forecasting.notifications.signals import connect as notifications_connect

        notifications_connect()
        from assets.signals import registry_changed

        registry_changed.connect(_registry_changed, dispatch_uid="forecasting.registry_propose")
        # A password change revokes the user's API token.
        from forecasting.accounts import signals  # noqa: F401


def _registry_changed(sender, *, trial_id: int, change_ids: list[int], **kwargs) -> None:
    """A reading of a trial's registry record wrote history (inside its transaction): propose resolutions for the
    questions it settles (docs/resolution.md, "Registry-resolved questions")."""
    from assets.models import Trial, TrialRegistryChange
    from forecasting.resolution.services.registry import registry_propose

    trial = Trial.objects.get(pk=trial_id)
    registry_propose(trial=trial, changes=TrialRegistryChange.objects.filter(pk__in=change_ids, trial=trial))
