"""Settings in both modes (embedded defaults, real servers) and the production checklist."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, django
from django.conf import settings
django.setup()
from support.celery import app
print(json.dumps({
    "debug": settings.DEBUG,
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": app.conf.broker_url,
    "acks_late": app.conf.task_acks_late,
    "reject_on_worker_lost": app.conf.task_reject_on_worker_lost,
    "prefetch": app.conf.worker_prefetch_multiplier,
    "ws_origins": settings.WEBSOCKET_ALLOWED_ORIGINS,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
}))
"""
SERVER_VARS = ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "WEBSOCKET_ALLOWED_ORIGINS")


def run(args, env_overrides, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARS and k != "DJANGO_SETTINGS_MODULE"}
    env.update({"DJANGO_SETTINGS_MODULE": "support.settings", "DESK_VAR_DIR": str(tmp_path / "var"), **env_overrides})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def probe(env, tmp_path) -> dict:
    result = run(["-c", PROBE], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults_need_no_server(tmp_path):
    conf = probe({}, tmp_path)
    assert conf["debug"] is False
    assert conf["db"] == "django.db.backends.sqlite3" and conf["db_name"].startswith(str(tmp_path))
    assert conf["layer"] == "channels.layers.InMemoryChannelLayer"
    assert conf["cache"].endswith("LocMemCache")
    assert conf["broker"].startswith("filesystem")
    assert (conf["acks_late"], conf["reject_on_worker_lost"], conf["prefetch"]) == (True, True, 1)
    assert conf["ws_origins"] == []  # no origin is trusted until one is configured
    secret = tmp_path / "var" / "secret_key"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"


def test_run_mode_trusts_local_origins(tmp_path):
    conf = probe({"DEBUG": "1", "DESK_PORT": "8123"}, tmp_path)
    assert conf["ws_origins"] == ["http://localhost:8123", "http://127.0.0.1:8123"]
    assert conf["ssl_redirect"] is False


def test_server_mode_uses_postgres_and_redis(tmp_path):
    conf = probe(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/desk", "REDIS_URL": "redis://127.0.0.1:6379/3"}, tmp_path
    )
    assert conf["db"] == "django.db.backends.postgresql" and conf["db_name"] == "desk"
    assert conf["layer"] == "chat.layers.LocalFanoutChannelLayer"
    assert conf["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert conf["broker"] == "redis://127.0.0.1:6379/3"


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-with-enough-entropy-0123456789abcdef",
    "ALLOWED_HOSTS": "desk.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://desk.example.com",
}


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_does_catch_debug(tmp_path):
    # Proves the check above would notice: the same settings with DEBUG on fail it.
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], {**PRODUCTION, "DEBUG": "1"}, tmp_path)
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


def test_production_websocket_origins_follow_csrf_trusted_origins(tmp_path):
    assert probe(PRODUCTION, tmp_path)["ws_origins"] == ["https://desk.example.com"]


@pytest.mark.django_db
def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")


@pytest.mark.django_db
def test_seed_demo_creates_every_role_and_is_repeatable(settings, capsys):
    from support.models import User

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "customer@demo.desk" in out and "demo-desk-2026" in out
    roles = {u.email: set(u.groups.values_list("name", flat=True)) for u in User.objects.all()}
    assert roles["customer@demo.desk"] == {"customer"}
    assert roles["vip@demo.desk"] == {"customer"}
    assert roles["supervisor@demo.desk"] == {"agent", "supervisor"}
    assert roles["scheduler@demo.desk"] == {"scheduler"}
    assert User.objects.get(email="vip@demo.desk").customer_profile.is_vip
    zh, en = (User.objects.get(email=e).agent_profile for e in ("agent.zh@demo.desk", "agent.en@demo.desk"))
    assert set(zh.languages.values_list("code", flat=True)) != set(en.languages.values_list("code", flat=True))
    # A customer can book a call-back on the demo desk: slots in English and Chinese, made once
    from callbacks.models import CapacityRule, Slot

    assert CapacityRule.objects.count() == 1
    assert {"en", "zh-hans"} <= set(Slot.objects.values_list("language", flat=True))
    assert Slot.objects.count() == Slot.objects.values("starts_at", "language").distinct().count()
    assert "Call-back slots for the next" in out


def test_embedded_defaults_take_email(tmp_path):
    """`make run`'s SQLite database: the MTA door and a folder open tickets, thread replies and drop duplicates
    (the tests otherwise run on PostgreSQL, where a compound statement may be ordered and SQLite's may not)."""
    folder = tmp_path / "mail"
    folder.mkdir()
    head = "From: {0}\r\nTo: support@desk.localhost\r\nSubject: {1}\r\nMessage-ID: <{2}>\r\n"
    (folder / "1.eml").write_bytes((head.format("a@example.com", "Deposit", "e1@x") + "\r\nWhere is it?\r\n").encode())
    (folder / "2.eml").write_bytes((head.format("b@example.com", "Login", "e2@x") + "\r\nLocked out.\r\n").encode())
    (folder / "3.eml").write_bytes(
        (head.format("a@example.com", "Re: Deposit", "e3@x") + "In-Reply-To: <e1@x>\r\n\r\nStill waiting.\r\n").encode()
    )
    (folder / "4.eml").write_bytes((folder / "2.eml").read_bytes())
    assert run(["manage.py", "migrate", "-v0"], {}, tmp_path).returncode == 0
    result = run(["manage.py", "ingest_email", str(folder)], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["outcome"] for r in rows] == ["created", "created", "threaded", "duplicate"], rows
    assert rows[2]["ticket"] == rows[0]["ticket"]
    single = run(["manage.py", "ingest_email", str(folder / "1.eml")], {}, tmp_path)  # one file: the MTA pipe's path
    assert [json.loads(line)["outcome"] for line in single.stdout.splitlines() if line.startswith("{")] == ["duplicate"]
