"""Help-centre housekeeping on the beat."""
import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from helpcenter.models import HelpSearch


@shared_task
def help_search_purge() -> int:
    """Delete searches and suggestion attempts older than HELP_SEARCH_RETENTION_DAYS (queries are personal data)."""
    cutoff = timezone.now() - dt.timedelta(days=settings.HELP_SEARCH_RETENTION_DAYS)
    deleted, _ = HelpSearch.objects.filter(created_at__lt=cutoff).delete()
    return deleted
