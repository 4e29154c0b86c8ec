import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from chat.models import AgentPresence
from support.models import BusinessCalendar, SLAPolicy
from tests.factories import AgentFactory, SupervisorFactory

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture
def chat_open(db):
    """Chat policies on the 24x7 calendar, so tests do not depend on the hour they run at."""
    always = BusinessCalendar.objects.get(name="Always open")
    SLAPolicy.objects.filter(channel="chat").update(calendar=always)
    return always


def online_agent(languages=("en",), capacity=3, supervisor=False):
    from chat.services import agent_presence_set

    factory = SupervisorFactory if supervisor else AgentFactory
    profile = factory(languages=list(languages), chat_capacity=capacity)
    agent_presence_set(profile.user, status=AgentPresence.Status.AVAILABLE)
    return profile.user


@pytest.fixture
def chat_agent(chat_open):
    return online_agent()


# Daphne as its own process, for the real-client and browser tests -------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    """The test database (test_<name>) this test writes to, for the daphne process."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


@pytest.fixture
def desk(transactional_db, tmp_path, request):
    """Daphne serving the desk on a free loopback port; yields its base URL. Stopped before the database is flushed."""
    from django.conf import settings as django_settings

    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    daphne = shutil.which("daphne", path=str(Path(sys.executable).parent)) or shutil.which("daphne")
    assert daphne, "daphne is not installed"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.chat.browser_settings",
        "DESK_BROWSER_ORIGIN": origin,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
        # Groups of their own: a concurrent test run on the same Redis must not hear these frames.
        "CHANNELS_PREFIX": f"desk-browser-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": django_settings.SECRET_KEY,  # the injected session cookie must validate there
        "PRIVATE_STORAGE_ROOT": str(tmp_path / "private"),
        "PYTHONUNBUFFERED": "1",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^\w.-]+", "-", request.node.name)
    log_path = ARTIFACTS / f"daphne-{test_name}.log"
    log = open(log_path, "w")
    process = subprocess.Popen(
        [daphne, "-b", "127.0.0.1", "-p", str(port), "support.asgi:application"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, f"daphne exited: see {log_path}"
            try:
                with urllib.request.urlopen(f"{origin}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"daphne did not answer on {origin}: see {log_path}") from None
                time.sleep(0.2)
        yield origin
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(autouse=True)
def close_fast_chat_connections():
    """The consumers' async connections (chat/fastpath.py) belong to one test's event loop: close them after it."""
    yield
    from chat import fastpath

    fastpath.close_all()
