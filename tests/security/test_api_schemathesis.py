"""Schemathesis over the desk's own OpenAPI schema, in process (WSGI), as a logged-in customer: generated
requests to every operation never get a 5xx, and every answer (status, media type, body) is one the schema
documents. 25 examples an operation, derandomised: the same cases every run (about 30 s).

What it found, now fixed: undocumented error answers (support/openapi.py documents them), a ticket's
`occurred_at` in year 1075 echoed back with Shanghai's +08:05:43 local mean time (tickets/serializers.py)."""
import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from support.wsgi import application
from tests.factories import CustomerFactory, make_ticket

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def customer_token(db, settings):
    # As Django's test client does: a request must not close the test's database connection (its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    settings.AXES_ENABLED = False  # the token endpoint gets random credentials
    cache.clear()  # DRF's throttles count in the cache
    customer = CustomerFactory().user
    make_ticket(customer)
    yield Token.objects.create(user=customer).key
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load():
    # Loaded at import (schemathesis' lazy from_fixture loader does not run under pytest 9.2); serving the
    # schema reads no database.
    signals.request_started.disconnect(close_old_connections)
    try:
        return schemathesis.openapi.from_wsgi("/api/schema/", application)
    finally:
        signals.request_started.connect(close_old_connections)


schema = _load()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
def test_api_answers_within_its_schema(case, customer_token):
    case.call_and_validate(headers={"Authorization": f"Token {customer_token}"}, checks=CHECKS)


@pytest.mark.django_db
def test_ticket_time_of_the_problem_must_be_a_plausible_one():
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(CustomerFactory().user)
    body = {"category": "technical", "subject": "App crash", "body": "The app closes when I open orders."}
    for when in ("1075-04-24T17:57:26+11:20", "2999-01-01T00:00:00Z"):
        response = api.post("/api/tickets/", {**body, "occurred_at": when}, format="json")
        assert response.status_code == 400 and "occurred_at" in response.json()
    assert api.post("/api/tickets/", {**body, "occurred_at": "2026-11-01T09:30:00+08:00"}, format="json").status_code == 201
