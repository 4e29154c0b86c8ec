"""PostgreSQL: a change to a chat's CSAT inputs logs the hour it was queued, so the dashboard's roll-up of that day is rebuilt.

The trigger function is support's (support 0012); the watched columns are what support/dashboard.py counts in CSAT.
"""
from django.db import migrations

FORWARD = """
CREATE TRIGGER chat_conversation_dashboard_ins AFTER INSERT ON chat_conversation REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_dirty('queued_at', '');
CREATE TRIGGER chat_conversation_dashboard_upd AFTER UPDATE ON chat_conversation REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_dirty('queued_at', 'rating,language,assignee_id');
CREATE TRIGGER chat_conversation_dashboard_del AFTER DELETE ON chat_conversation REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_dirty('queued_at', '');
CREATE TRIGGER chat_conversation_dashboard_truncate AFTER TRUNCATE ON chat_conversation
    FOR EACH STATEMENT EXECUTE FUNCTION support_dashboard_forget();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS chat_conversation_dashboard_ins ON chat_conversation;
DROP TRIGGER IF EXISTS chat_conversation_dashboard_upd ON chat_conversation;
DROP TRIGGER IF EXISTS chat_conversation_dashboard_del ON chat_conversation;
DROP TRIGGER IF EXISTS chat_conversation_dashboard_truncate ON chat_conversation;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial"), ("support", "0012_dashboard_rollups")]
    operations = [migrations.RunPython(forward, backward)]
