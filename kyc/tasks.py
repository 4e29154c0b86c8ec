from celery import shared_task

from kyc import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def kyc_retention_purge() -> int:
    """Daily: delete identity files of accounts closed longer than KYC_RETENTION_DAYS (safe to run twice)."""
    return services.kyc_retention_purge()
