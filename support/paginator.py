"""A paginator that never counts a huge table: the planner's estimate stands in above a threshold."""
import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_BELOW = 10_000


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL, uses EXPLAIN's row estimate when it says the result is large; exact otherwise."""

    @cached_property
    def count(self):
        qs = self.object_list
        connection = connections[qs.db]
        if connection.vendor == "postgresql" and not qs.query.is_sliced:
            sql, params = qs.order_by().values("pk").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                plan = cursor.fetchone()[0]
            estimate = int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])
            if estimate >= EXACT_BELOW:
                return estimate
        return super().count
