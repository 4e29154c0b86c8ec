"""Exactly once on PostgreSQL: two scanners racing, a scanner killed with SIGKILL mid-batch, and the
scan task delivered twice to a real Celery worker on Redis."""
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from support.models import Notification, SLAClock, SLAEvent
from support.selectors import default_calendar
from support.services.escalation import sla_scan
from tests.factories import SupervisorFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SH = ZoneInfo("Asia/Shanghai")
DUE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SH)


def make_due_clocks(n: int) -> list[int]:
    ct = ContentType.objects.get_for_model(SLAClock)
    calendar = default_calendar()
    clocks = SLAClock.objects.bulk_create(
        SLAClock(
            channel="email", metric="first_response", content_type=ct, object_id=str(i), calendar=calendar,
            target=dt.timedelta(hours=24), started_at=DUE - dt.timedelta(hours=24), due_at=DUE - dt.timedelta(seconds=i % 60),
        )
        for i in range(n)
    )
    return [c.pk for c in clocks]


def cases_notified(user) -> int:
    """Cases a person heard of: one per notification, or the count a summary gives."""
    total = 0
    for message in Notification.objects.filter(recipient=user, kind="sla.breach").values_list("message", flat=True):
        total += int(message.split()[0]) if message.split()[0].isdigit() else 1
    return total


def assert_each_breached_once(ids):
    assert SLAEvent.objects.filter(kind="breach").count() == len(ids)
    assert set(SLAEvent.objects.values_list("clock_id", flat=True)) == set(ids)
    assert not SLAClock.objects.filter(pk__in=ids, breached_at__isnull=True).exists()


def test_two_scanners_racing_breach_each_clock_once():
    supervisor = SupervisorFactory().user
    ids = make_due_clocks(600)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def scanner():
        try:
            barrier.wait()
            results.append(sla_scan(now=DUE + dt.timedelta(seconds=1), batch=50))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scanner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r.breaches for r in results) == 600
    assert all(r.breaches > 0 for r in results), results  # both really worked, on disjoint rows
    assert_each_breached_once(ids)
    assert cases_notified(supervisor) == 600


KILLED_SCANNER = """
import django, sys, time, datetime as dt
django.setup()
from django.db import transaction
from support.services import escalation
now = dt.datetime.fromisoformat(sys.argv[1])
with transaction.atomic():
    clocks, written = escalation._claim("breach", now, 100)
    escalation._act("breach", clocks, now, escalation._supervisors(), events_written=written)
    print(len(clocks), flush=True)
    time.sleep(120)  # killed here, before the commit
"""


def test_a_scanner_killed_mid_batch_leaves_the_work_to_the_next_scan():
    SupervisorFactory()
    ids = make_due_clocks(150)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "support.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    now = DUE + dt.timedelta(seconds=1)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SCANNER, now.isoformat()], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "100", child.stderr.read() if not line else line
        # Its batch is claimed and locked; a scan now skips those rows and takes the other 50.
        assert sla_scan(now=now).breaches == 50
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    # The killed transaction rolled back: the next scan takes the 100 it had claimed.
    deadline = time.monotonic() + 10
    breaches = 0
    while breaches < 100 and time.monotonic() < deadline:
        breaches += sla_scan(now=now).breaches
        time.sleep(0.05)
    assert breaches == 100
    assert_each_breached_once(ids)


@pytest.mark.redis
def test_scan_task_delivered_twice_to_a_real_worker_acts_once(settings):
    from celery.contrib.testing.worker import start_worker

    from support.celery import app
    from support.tasks import sla_scan as sla_scan_task

    supervisor = SupervisorFactory().user
    ids = make_due_clocks(40)
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    try:
        with time_machine.travel(DUE + dt.timedelta(seconds=5), tick=True):
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
                first = sla_scan_task.delay()
                second = sla_scan_task.delay()  # a redelivery: the same work asked for twice
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and SLAEvent.objects.count() < 40:
                    time.sleep(0.1)
                time.sleep(1)  # let the second delivery run to completion
                assert first.id != second.id
    finally:
        app.conf.task_always_eager = True
    assert_each_breached_once(ids)
    assert cases_notified(supervisor) == 40
