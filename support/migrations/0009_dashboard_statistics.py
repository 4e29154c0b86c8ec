"""Extended statistics for the dashboard's one-pass aggregate (PostgreSQL only).

Without them the planner takes every clock for its own group (a million groups over a year), so it
aggregates in one process; told how few groups there are, it aggregates in parallel workers.
The bucket expression must match support/dashboard.py::_one_pass exactly.
"""
from django.db import migrations

BUCKET = "(CASE WHEN met_at IS NULL THEN NULL ELSE floor(ln(greatest(EXTRACT(EPOCH FROM met_at - started_at)::float8, 1)) / ln(1.05))::int END)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS sla_dashboard_groups (ndistinct) ON channel, metric, category, language, {BUCKET}"
            " FROM support_slaclock"
        )
        schema_editor.execute("ANALYZE support_slaclock")  # a sample: quick even on a large table


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP STATISTICS IF EXISTS sla_dashboard_groups")


class Migration(migrations.Migration):
    dependencies = [("support", "0008_dashboard_permission")]
    operations = [migrations.RunPython(create, drop)]
