from django.apps import AppConfig


class MarketsConfig(AppConfig):
    name = "markets"
    verbose_name = "Questions and markets"

    def ready(self):
        from assets.signals import public_moments_changed

        public_moments_changed.connect(_apply_public_moments, dispatch_uid="markets.apply_public_moments")


def _apply_public_moments(sender, *, trial_id: int, **kwargs) -> None:
    from markets.services.questions import questions_apply_public_moments

    questions_apply_public_moments(trial_id=trial_id)
