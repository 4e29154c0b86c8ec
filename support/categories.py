"""Issue categories (SPEC) and the channel recommended for each."""
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models.sla import Channel


class Category(models.TextChoices):
    URGENT_TRADING = "urgent_trading", _("Urgent trading problem")
    VERIFICATION = "verification", _("Account verification & document review")
    FUNDS = "funds", _("Deposit & withdrawal status")
    TECHNICAL = "technical", _("Platform technical fault")
    ACCOUNT_SETTINGS = "account_settings", _("Account settings")
    COMPLAINT = "complaint", _("Complaint")


RECOMMENDED_CHANNELS: dict[str, tuple[str, ...]] = {
    Category.URGENT_TRADING: (Channel.CHAT,),
    Category.VERIFICATION: (Channel.EMAIL, Channel.DOCUMENT),
    Category.FUNDS: (Channel.EMAIL, Channel.CALLBACK),
    Category.TECHNICAL: (Channel.CHAT, Channel.EMAIL),
    Category.ACCOUNT_SETTINGS: (Channel.CHAT,),
    Category.COMPLAINT: (Channel.COMPLAINT,),
}
