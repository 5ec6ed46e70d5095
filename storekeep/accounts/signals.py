"""A password change revokes the user's bearer tokens (SPEC §10: tokens can be revoked)."""

from django.conf import settings
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from .models import ApiToken


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def _note_password_change(sender, instance, **kwargs):
    # ``set_password`` leaves the raw password in ``_password`` until the save;
    # Django's hash upgrade on sign-in clears it first, so upgrades do not count.
    instance._storekeep_password_changed = (
        instance.pk is not None and getattr(instance, "_password", None) is not None
    )


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_tokens_on_password_change(sender, instance, created, **kwargs):
    if created or not getattr(instance, "_storekeep_password_changed", False):
        return
    instance._storekeep_password_changed = False
    ApiToken.objects.filter(membership__user=instance, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
