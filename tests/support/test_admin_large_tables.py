"""The admin's lists of tables that grow with every case (audit rows, SLA clocks and events, outgoing mail,
notifications, chats, help searches): none counts the whole table or lists its months, whose queries grow
with it (a COUNT(*) of 3 million audit rows took 185 ms, date_hierarchy's month list 2.3 s)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from support.services import audit_event_record
from tests.factories import make_ticket

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

LISTS = [
    "/admin/support/auditevent/",
    "/admin/support/slaclock/",
    "/admin/support/slaevent/",
    "/admin/support/outboundemail/",
    "/admin/support/notification/",
    "/admin/chat/conversation/",
    "/admin/helpcenter/helpsearch/",
]


@pytest.mark.parametrize("url", LISTS)
def test_large_table_lists_neither_count_the_table_nor_list_its_months(client, customer, url):
    from support.models import User

    ticket = make_ticket(customer)
    audit_event_record(ticket, actor=None, verb="test.seen", data={})
    admin = User.objects.create_superuser("root@example.com", "pw-1234-long")
    client.force_login(admin)
    for query_string in ("", "?o=1", "?q=x" if url.endswith(("auditevent/", "conversation/", "helpsearch/")) else "?p=1"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + query_string)
        assert response.status_code == 200, (url, query_string)
        sql = [q["sql"].upper() for q in queries.captured_queries]
        assert not any("DISTINCT" in s for s in sql), sql  # no month list, no value list read from every row
        counts = [s for s in sql if "COUNT(" in s]
        # a count only over a LIMITed subquery (EstimatedCountPaginator's cap), never of the whole table
        assert all("LIMIT" in s for s in counts), counts
    assert client.get(url + "?_facets=True").content.decode().count("(1)") == 0  # no counts per filter option
    page = client.get(url).content.decode()
    assert "Show counts" not in page
    assert 'href="?created_at__gte=' in page or 'href="?queued_at__gte=' in page or 'href="?started_at__gte=' in page or "/outboundemail/" in url or "/notification/" in url


def test_audit_verbs_are_listed_by_the_index(client, customer):
    """The verb filter's values come from one probe of the verb index per value, not a DISTINCT over the log."""
    from support.models import User

    ticket = make_ticket(customer)
    audit_event_record(ticket, actor=None, verb="test.seen", data={})
    client.force_login(User.objects.create_superuser("root@example.com", "pw-1234-long"))
    page = client.get("/admin/support/auditevent/").content.decode()
    assert 'href="?verb=test.seen"' in page and 'href="?verb=ticket.created"' in page
    assert page.count("test.seen") >= 2  # the filter and the row
    filtered = client.get("/admin/support/auditevent/?verb=test.seen").content.decode()
    assert "ticket.created</td>" not in filtered and "test.seen</td>" in filtered
