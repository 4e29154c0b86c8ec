"""A fixed Monday in Shanghai (support open 06:00-22:00), a capacity rule with two agents, booking helper."""
import datetime as dt

import pytest
import time_machine

from callbacks import services
from callbacks.models import CapacityRule
from support.models import Language
from tests.factories import AgentFactory

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Monday 7 December 2026, 08:00 in Shanghai (00:00 UTC, 03:00 in Moscow).
MONDAY_8AM = dt.datetime(2026, 12, 7, 8, 0, tzinfo=SHANGHAI)
MOBILE = "+8613912345678"  # the factories' registered phone


def at(hour, minute=0, day=0):
    """That Monday (plus `day` days) at hour:minute Shanghai time, as UTC."""
    return (MONDAY_8AM.replace(hour=hour, minute=minute) + dt.timedelta(days=day)).astimezone(dt.timezone.utc)


def book(customer, starts_at, language="en", phone=MOBILE):
    return services.booking_create(
        customer, starts_at=starts_at, language=language, phone=phone, category="funds", summary="Withdrawal status"
    )


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rule(db):
    english, chinese = AgentFactory(languages=["en"]).user, AgentFactory(languages=["en", "zh-hans"]).user
    rule = CapacityRule.objects.create(name="Every day", weekdays="0,1,2,3,4,5,6", starts=dt.time(5), ends=dt.time(23, 30))
    rule.languages.set(Language.objects.filter(code__in=["en", "zh-hans"]))
    rule.agents.set([english, chinese])
    return rule
