"""PostgreSQL: a change to a ticket's CSAT inputs logs the hour it was created, so the dashboard's roll-up of that day is rebuilt.

The trigger function is support's (support 0012); the watched columns are what support/dashboard.py counts in CSAT.
"""
from django.db import migrations

FORWARD = """
CREATE TRIGGER tickets_ticket_dashboard_ins AFTER INSERT ON tickets_ticket REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_dirty('created_at', '');
CREATE TRIGGER tickets_ticket_dashboard_upd AFTER UPDATE ON tickets_ticket REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_dirty('created_at', 'rating,merged_into_id,channel,language,assignee_id');
CREATE TRIGGER tickets_ticket_dashboard_del AFTER DELETE ON tickets_ticket REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_dirty('created_at', '');
CREATE TRIGGER tickets_ticket_dashboard_truncate AFTER TRUNCATE ON tickets_ticket
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_forget();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS tickets_ticket_dashboard_ins ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_dashboard_upd ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_dashboard_del ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_ticket_dashboard_truncate ON tickets_ticket;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_ticket_status_prio_due_idx"), ("support", "0012_dashboard_rollups")]
    operations = [migrations.RunPython(forward, backward)]
