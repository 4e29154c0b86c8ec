"""The web process's collector thresholds, set when the ASGI application imports the chat routes."""
import gc
import importlib

import pytest

from chat import routing


@pytest.fixture
def restore_thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_importing_the_routes_sets_the_chat_thresholds(restore_thresholds):
    gc.set_threshold(700, 10, 10)
    importlib.reload(routing)  # what the ASGI application's import does
    assert gc.get_threshold() == routing.GC_THRESHOLDS == (50_000, 20, 100)


def test_the_thresholds_are_a_setting_and_none_keeps_pythons(settings, restore_thresholds):
    gc.set_threshold(700, 10, 10)
    settings.CHAT_GC_THRESHOLDS = None
    routing.tune_gc()
    assert gc.get_threshold() == (700, 10, 10)
    settings.CHAT_GC_THRESHOLDS = (10_000, 10, 50)
    routing.tune_gc()
    assert gc.get_threshold() == (10_000, 10, 50)
