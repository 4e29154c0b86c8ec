"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit trail."""
from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION support_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'support_auditevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER support_auditevent_append_only
    BEFORE UPDATE OR DELETE ON support_auditevent
    FOR EACH ROW EXECUTE FUNCTION support_audit_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS support_auditevent_append_only ON support_auditevent;
DROP FUNCTION IF EXISTS support_audit_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("support", "0002_seed_reference_data")]
    operations = [migrations.RunPython(forward, backward)]
