"""Settings for the daphne that tests/chat/test_browser.py starts: the test settings, opened to a real
browser on loopback (its origin for websockets, plain-http cookies, static files without collectstatic)."""
import os

from support.settings_test import *  # noqa: F401,F403

WEBSOCKET_ALLOWED_ORIGINS = [os.environ["DESK_BROWSER_ORIGIN"]]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
WHITENOISE_USE_FINDERS = True
