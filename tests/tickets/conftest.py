import pytest
from django.utils.functional import empty

from tickets.models import private_storage


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """Attachments go to a fresh private folder per test."""
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    private_storage._wrapped = empty
    yield
    private_storage._wrapped = empty
