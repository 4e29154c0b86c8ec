"""Test settings: the real settings with the few changes a test client needs."""
from .settings import *  # noqa: F401,F403
from .settings import STORAGES

SECURE_SSL_REDIRECT = False  # the test client speaks plain HTTP
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
WEBSOCKET_ALLOWED_ORIGINS = ["http://testserver", "https://desk.example.com"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
