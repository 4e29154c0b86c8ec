"""ASGI entry point: HTTP to Django, websockets through an origin check and session auth."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.settings")
# Django must be set up before consumers (and their models) are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

import chat.routing  # noqa: E402
import support.routing  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # An explicit origin list: AllowedHostsOriginValidator would accept any
        # origin whenever ALLOWED_HOSTS contains "*".
        "websocket": OriginValidator(
            AuthMiddlewareStack(
                URLRouter(support.routing.websocket_urlpatterns + chat.routing.websocket_urlpatterns)
            ),
            settings.WEBSOCKET_ALLOWED_ORIGINS,
        ),
    }
)
