"""A password change, by any route (the site's form, a reset link, the admin, manage.py changepassword), revokes the
user's API token: a token must not outlive the password that was used to get it."""
from django.contrib.auth import get_user_model
from django.db.models.signals import pre_save
from django.dispatch import receiver

from forecasting.accounts.services import user_tokens_revoke


@receiver(pre_save, sender=get_user_model(), dispatch_uid="readout-revoke-tokens-on-password-change")
def revoke_tokens_on_password_change(sender, instance, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None or (update_fields is not None and "password" not in update_fields):
        return
    stored = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if stored is not None and stored != instance.password:
        user_tokens_revoke(user=instance)
