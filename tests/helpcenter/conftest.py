import os
import uuid

import pytest
from django.core.management import call_command

from helpcenter import search


@pytest.fixture(autouse=True)
def _fresh_help(settings):
    """Each test: its own cache (throttles, vote limits) and a keyword index built from its own articles."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": uuid.uuid4().hex}}
    search.reset_index()
    yield
    search.reset_index()


@pytest.fixture
def seeded():
    """The help centre's seed articles (English and Simplified Chinese)."""
    call_command("seed_help", stdout=open(os.devnull, "w"))
