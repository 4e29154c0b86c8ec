"""The audit trail is append-only; roles are groups with exactly their permissions."""
import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, connection, transaction

from support.models import AuditEvent
from support.services import agent_create, audit_event_record, customer_create, customer_profile_update

pytestmark = pytest.mark.django_db


def test_services_write_who_did_what(customer):
    customer_profile_update(customer.customer_profile, actor=customer, language="zh-hans")
    event = AuditEvent.objects.get(verb="customer.profile_updated")
    assert (event.actor_repr, event.object_id) == (customer.email, str(customer.customer_profile.pk))


def test_unchanged_profile_writes_nothing(customer):
    customer_profile_update(customer.customer_profile, actor=customer, language="en")
    assert not AuditEvent.objects.filter(verb="customer.profile_updated").exists()


def test_the_anti_phishing_phrase_never_enters_the_trail(customer):
    customer_profile_update(customer.customer_profile, actor=customer, anti_phishing_phrase="secret-owl")
    assert "secret-owl" not in str(list(AuditEvent.objects.values()))


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(customer):
    event = audit_event_record(customer, actor=None, verb="test")
    assert event.actor_repr == "system"
    event.verb = "rewritten"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete_of_audit_rows(customer):
    event = audit_event_record(customer, actor=None, verb="test")
    for statement in ("UPDATE support_auditevent SET verb = 'x' WHERE id = %s", "DELETE FROM support_auditevent WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).verb == "test"


def test_roles_exist_with_their_permissions():
    perms = {g.name: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.all()} for g in Group.objects.all()}
    assert set(perms) >= {"customer", "agent", "supervisor", "scheduler"}
    assert perms["customer"] == set()
    assert "support.view_customerprofile" not in perms["agent"]
    assert "support.view_customerprofile" in perms["supervisor"]
    assert "support.change_slapolicy" in perms["supervisor"] and "support.change_slapolicy" not in perms["agent"]
    assert "support.view_auditevent" in perms["supervisor"]


def test_granting_a_staff_role_opens_the_admin_a_customer_role_does_not():
    customer = customer_create("c@example.com", password="pw-123456789", account_number="A1").user
    agent = agent_create("a@example.com", password="pw-123456789", languages=["en", "ja"], roles=("agent", "supervisor")).user
    assert not customer.is_staff and customer.has_role("customer")
    assert agent.is_staff and agent.has_role("supervisor")
    assert sorted(agent.agent_profile.languages.values_list("code", flat=True)) == ["en", "ja"]
    assert AuditEvent.objects.filter(verb="role.granted").count() == 3


def test_deferred_audit_rows_go_in_with_one_insert_at_the_end_of_the_block(customer):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from support.services import audit_deferred

    before = AuditEvent.objects.count()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        with audit_deferred():
            first = audit_event_record(customer, actor=None, verb="deferred.one")
            audit_event_record(customer, actor=None, verb="deferred.two")
            assert first.pk is None and AuditEvent.objects.count() == before  # queued, not written yet
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "support_auditevent"')]
    assert len(inserts) == 1
    assert list(AuditEvent.objects.filter(verb__startswith="deferred.").order_by("id").values_list("verb", flat=True)) == [
        "deferred.one", "deferred.two"
    ]
    with pytest.raises(RuntimeError), audit_deferred():
        audit_event_record(customer, actor=None, verb="deferred.lost")
        raise RuntimeError("the work failed")
    assert not AuditEvent.objects.filter(verb="deferred.lost").exists()  # nothing recorded for work that failed
    audit_event_record(customer, actor=None, verb="deferred.after")  # outside a block: written at once again
    assert AuditEvent.objects.filter(verb="deferred.after").exists()
