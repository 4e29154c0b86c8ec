"""The policy lookup behind every clock start: one query, and an admin's edit counts at once."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from support.models import Holiday, SLAPolicy, WeeklyHours
from support.services import sla_clock_start, sla_policy_for
from support.services.sla import sla_clocks_prepare
from tests.factories import CustomerFactory

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def sh(*args):
    return dt.datetime(*args, tzinfo=SH)


def test_a_holiday_added_by_an_admin_moves_the_next_due_time(support_calendar):
    start = sh(2026, 11, 24, 10, 0)  # Tuesday; the web promise is 24 business hours
    first = sla_clock_start(CustomerFactory(), channel="web", metric="first_response", at=start)
    assert first.due_at == sh(2026, 11, 25, 10, 0)
    Holiday.objects.create(calendar=support_calendar, date=dt.date(2026, 11, 25), name="Closed")
    second = sla_clock_start(CustomerFactory(), channel="web", metric="first_response", at=start)
    assert second.due_at == sh(2026, 11, 26, 10, 0)  # Wednesday closed: 14 h Tuesday + 10 h Thursday


def test_edited_hours_and_targets_count_from_the_next_clock_start(support_calendar):
    start = sh(2026, 11, 24, 10, 0)
    assert sla_clocks_prepare([("web", "first_response")], at=start)[0].due_at == sh(2026, 11, 25, 10, 0)
    WeeklyHours.objects.filter(calendar=support_calendar, weekday=1).update(opens=dt.time(0), closes=dt.time(12))
    # Tuesday now closes at 12:00: 2 h on Tuesday, the other 22 h from Wednesday 00:00.
    assert sla_clocks_prepare([("web", "first_response")], at=start)[0].due_at == sh(2026, 11, 25, 22, 0)
    SLAPolicy.objects.filter(channel="web", metric="first_response", vip=False).update(target=dt.timedelta(hours=1))
    assert sla_clocks_prepare([("web", "first_response")], at=start)[0].due_at == sh(2026, 11, 24, 11, 0)


def test_a_deleted_policy_is_not_found_any_more():
    assert sla_policy_for(channel="web", metric="first_response") is not None
    SLAPolicy.objects.filter(channel="web", metric="first_response").delete()
    assert sla_policy_for(channel="web", metric="first_response") is None
    with pytest.raises(LookupError):
        sla_clocks_prepare([("web", "first_response")])


@pytest.mark.postgres
def test_policies_calendars_hours_and_holidays_come_in_one_query(support_calendar, django_assert_num_queries):
    Holiday.objects.create(calendar=support_calendar, date=dt.date(2026, 12, 25), name="Closed")
    with django_assert_num_queries(1):
        clocks = sla_clocks_prepare(
            [("email", "first_response"), ("email", "resolution")], priority="high", vip=True, at=sh(2026, 12, 24, 10)
        )
        schedule = clocks[0].calendar.schedule()
    assert [c.metric for c in clocks] == ["first_response", "resolution"]
    assert clocks[0].policy.vip and dt.date(2026, 12, 25) in schedule.holidays
    assert schedule == support_calendar.schedule()


def test_the_policy_found_carries_every_field_of_its_row(support_calendar):
    from django.forms.models import model_to_dict

    found = sla_policy_for(channel="email", metric="first_response", vip=True)
    stored = SLAPolicy.objects.select_related("calendar").get(pk=found.pk)
    assert model_to_dict(found) == model_to_dict(stored)
    assert model_to_dict(found.calendar) == model_to_dict(stored.calendar)
    assert found.calendar.schedule() == stored.calendar.schedule()
