"""The registry of official contacts (checked by customers against phishers) and the record of secrets removed."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OfficialContact(models.Model):
    """An address, number, account or site the desk really uses; anything else claiming to be us is not."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", _("Website or e-mail domain")
        EMAIL = "email", _("E-mail address")
        PHONE = "phone", _("Phone number")
        TELEGRAM = "telegram", _("Telegram account")
        WECHAT = "wechat", _("WeChat ID")
        SOCIAL = "social", _("Social media account")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=255, help_text=_("Stored normalised: lower case, no @, phone in +E.164, domain without www."))
    platform = models.CharField(_("platform"), max_length=32, blank=True, help_text=_("For social media: x, facebook, instagram, youtube, tiktok, weibo, …"))
    label = models.CharField(_("what it is"), max_length=120, blank=True)
    active = models.BooleanField(_("in use"), default=True, help_text=_("Retired contacts answer as no longer official."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("official contact")
        verbose_name_plural = _("official contacts")
        ordering = ["kind", "value"]
        constraints = [models.UniqueConstraint(fields=["kind", "platform", "value"], name="official_contact_unique")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    def save(self, *args, **kwargs):
        from safety.contacts import normalise

        self.value = normalise(self.kind, self.value)
        self.platform = self.platform.strip().lower()
        super().save(*args, **kwargs)


class SecretEvent(models.Model):
    """A secret the shield removed before storage: its kind and where, never the value."""

    kind = models.CharField(_("kind"), max_length=16)
    where = models.CharField(_("where"), max_length=32)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("secret removed")
        verbose_name_plural = _("secrets removed")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind} in {self.where}"
