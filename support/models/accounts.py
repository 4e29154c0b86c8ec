"""People: users, customer and agent profiles, the languages the desk serves."""
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager as DjangoUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class UserManager(DjangoUserManager):
    """Users log in with their e-mail address, stored lower-cased."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip().lower()

    def has_role(self, role: str) -> bool:
        return self.groups.filter(name=role).exists()


# Languages customers may ask for support in (SPEC "Languages"); the UI itself
# is complete in settings.LANGUAGES and falls back to English for the others.
SUPPORT_LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Chinese (Simplified)")),
    ("zh-hant", _("Chinese (Traditional)")),
    ("ru", _("Russian")),
    ("vi", _("Vietnamese")),
    ("tr", _("Turkish")),
    ("pt", _("Portuguese")),
    ("es", _("Spanish")),
    ("id", _("Indonesian")),
    ("ja", _("Japanese")),
    ("ko", _("Korean")),
]


def validate_time_zone(value: str):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(tz)s is not a known time zone."), params={"tz": value})


class Language(models.Model):
    """A language the desk can serve; agents speak several."""

    code = models.CharField(_("code"), max_length=10, primary_key=True, choices=SUPPORT_LANGUAGES)

    class Meta:
        verbose_name = _("language")
        verbose_name_plural = _("languages")
        ordering = ["code"]

    def __str__(self):
        return str(dict(SUPPORT_LANGUAGES).get(self.code, self.code))


class CustomerProfile(models.Model):
    class Tier(models.TextChoices):
        STANDARD = "standard", _("Standard")
        VIP = "vip", _("VIP")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_profile")
    account_number = models.CharField(
        _("trading account number / UID"),
        max_length=32,
        unique=True,
        help_text=_("The trading account number or UID, not the e-mail address."),
    )
    phone = PhoneNumberField(_("registered phone"), blank=True)
    language = models.CharField(_("preferred language"), max_length=10, choices=SUPPORT_LANGUAGES, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.STANDARD)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_customers",
        limit_choices_to={"groups__name": "agent"},
    )
    anti_phishing_phrase = models.CharField(
        _("anti-phishing phrase"),
        max_length=64,
        blank=True,
        help_text=_("Shown in every e-mail the desk sends you, so you can tell real mail from phishing."),
    )
    account_closed_at = models.DateTimeField(
        _("account closed at"),
        null=True,
        blank=True,
        help_text=_("When the trading account was closed; identity documents are deleted a set time after this."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer profile")
        verbose_name_plural = _("customer profiles")

    def __str__(self):
        return f"{self.account_number} ({self.user.email})"

    @property
    def is_vip(self) -> bool:
        return self.tier != self.Tier.STANDARD


AGENT_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U to misread


def new_agent_code() -> str:
    return "AG-" + "".join(secrets.choice(AGENT_CODE_ALPHABET) for _ in range(6))


class AgentProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent_profile")
    languages = models.ManyToManyField(Language, verbose_name=_("languages spoken"), blank=True, related_name="agents")
    handles_chat = models.BooleanField(_("handles live chat"), default=True)
    handles_email = models.BooleanField(_("handles e-mail and tickets"), default=True)
    handles_callbacks = models.BooleanField(_("handles call-backs"), default=False)
    handles_documents = models.BooleanField(_("reviews documents"), default=False)
    chat_capacity = models.PositiveSmallIntegerField(
        _("concurrent chat capacity"), default=3, help_text=_("How many live chats this agent can hold at once.")
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    public_code = models.CharField(
        _("public agent code"),
        max_length=12,
        unique=True,
        default=new_agent_code,
        editable=False,
        help_text=_("Shown to customers in chats and e-mails; they can check it on the \"Is this really support?\" page."),
    )

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")
        constraints = [models.CheckConstraint(condition=models.Q(chat_capacity__lte=20), name="agent_capacity_sane")]

    def __str__(self):
        return str(self.user)

    @property
    def channels(self) -> list[str]:
        pairs = [
            (self.handles_chat, "chat"),
            (self.handles_email, "email"),
            (self.handles_callbacks, "callback"),
            (self.handles_documents, "document"),
        ]
        return [name for enabled, name in pairs if enabled]
