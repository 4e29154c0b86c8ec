"""Stored raw messages compress with lz4 instead of PostgreSQL's default pglz.

Raw mail is mostly base64 attachments, which pglz barely shrinks (68.7 -> 68.1 MiB on the intake
benchmark's mix) at a high CPU cost: storing a batch took 2.6-3.0 ms a message against 0.56-0.58 ms
with lz4 (66.8 MiB), the database server's CPU that intake on the same machine competes for. Rows
stored before keep pglz (both are read transparently). A server built without lz4 keeps pglz.
"""
from django.db import migrations

SET = """
DO $$
BEGIN
    ALTER TABLE tickets_inboundemail ALTER COLUMN raw SET COMPRESSION {method};
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available on this server: raw messages keep pglz';
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SET.format(method="lz4"))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SET.format(method="pglz"))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_dashboard_rollup_dirty")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
