"""CSAT from a channel app's rated cases: one aggregate query, shared by tickets and chat."""
from django.db.models import Avg, Count, Q


def csat_rows(qs, *, channel_of, rated_field="rating") -> list[dict]:
    """`qs` already limited to the period and filters; `channel_of` maps a row's group key to an SLA channel."""
    rows = qs.filter(**{f"{rated_field}__isnull": False}).order_by().values(channel_of).annotate(
        count=Count("pk"), average=Avg(rated_field), satisfied=Count("pk", filter=Q(**{f"{rated_field}__gte": 4}))
    )
    return [
        {"channel": row[channel_of], "count": row["count"], "average": round(float(row["average"]), 2), "satisfied": row["satisfied"]}
        for row in rows
        if row["count"]  # a constant group key yields one empty row when nothing was rated
    ]
