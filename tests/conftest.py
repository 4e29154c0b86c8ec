"""Shared fixtures, and the rule for tests that need a real server.

A test marked `postgres` or `redis` is skipped when DATABASE_URL / REDIS_URL is unset (a laptop),
one marked `imap` when dovecot is not installed;
under DESK_REQUIRE_SERVICES=1 or CI=true (.ci/run) it fails instead, and it always fails when the
variable is set but the server does not answer.
"""
import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

from tests.factories import AgentFactory, CustomerFactory, SupervisorFactory

REQUIRE_SERVICES = os.environ.get("DESK_REQUIRE_SERVICES") == "1" or os.environ.get("CI", "").lower() == "true"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=3):
            return True
    except OSError:
        return False


def _service_problem(kind: str) -> tuple[str, bool] | None:
    """(message, must_fail) when the service a test needs is not there, else None."""
    if kind == "postgres":
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            return "needs PostgreSQL: DATABASE_URL is not a postgres:// URL", REQUIRE_SERVICES
        if not _reachable(url, 5432):
            return f"PostgreSQL at {urlparse(url).hostname} is unreachable", True
    if kind == "redis":
        url = os.environ.get("REDIS_URL", "")
        if not url:
            return "needs Redis: REDIS_URL is unset", REQUIRE_SERVICES
        if not _reachable(url, 6379):
            return f"Redis at {urlparse(url).hostname} is unreachable", True
    if kind == "imap" and not (shutil.which("dovecot") or os.path.exists("/usr/sbin/dovecot")):
        return "needs Debian's dovecot-imapd (apt-get install dovecot-imapd)", REQUIRE_SERVICES
    return None


def pytest_sessionstart(session):
    if REQUIRE_SERVICES:
        for kind in ("postgres", "redis"):
            problem = _service_problem(kind)
            if problem:
                raise pytest.UsageError(f"CI requires real services: {problem[0]}")


def pytest_runtest_setup(item):
    for kind in ("postgres", "redis", "imap"):
        if item.get_closest_marker(kind):
            problem = _service_problem(kind)
            if problem:
                message, must_fail = problem
                if must_fail:
                    pytest.fail(message, pytrace=False)
                pytest.skip(message)


@pytest.fixture
def customer(db):
    return CustomerFactory().user


@pytest.fixture
def other_customer(db):
    return CustomerFactory().user


@pytest.fixture
def agent(db):
    return AgentFactory().user


@pytest.fixture
def supervisor(db):
    return SupervisorFactory().user


@pytest.fixture
def support_calendar(db):
    from support.selectors import default_calendar

    return default_calendar()


@pytest.fixture(autouse=True)
def _reference_data_after_flush(request):
    """A transactional test starts after an earlier one's flush emptied the tables the data migration seeds."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    import_module("support.migrations.0002_seed_reference_data").seed(apps, None)


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """Attachments and documents go to a fresh private folder per test."""
    from django.utils.functional import empty

    from support.storage import private_storage

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty
