"""The desk never sends a link that asks for credentials: every outgoing e-mail is checked here.

Phishers' mails say "log in here to verify your account"; ours never do, so a customer can rely on
it. A link is refused when its host is not ours and it looks like a login or credential page, or
when it is one of our own login pages. The one credential page we do link to is the password reset
the customer asked for (`/accounts/reset/<uid>/<token>/`, on our own host): it sets a new password,
it never asks for the old one.
"""
import re
from urllib.parse import urlsplit

from django.conf import settings

_URL = re.compile(r"""(?:https?://|www\.)[^\s"'<>()]+""", re.IGNORECASE)
_CREDENTIAL_WORDS = re.compile(
    r"log-?in|sign-?in|log-?on|password|passwd|credential|verify-?account|account-?verify|unlock|2fa|otp|seed|mnemonic|"
    r"private-?key|wallet-?connect|recover",
    re.IGNORECASE,
)
_OWN_LOGIN_PATHS = ("/accounts/login", "/admin/login", "/api/auth/token")


class CredentialLinkRefused(ValueError):
    """The message links to a page that asks for credentials; it is not sent."""


def _own_host() -> str:
    return (urlsplit(settings.DESK_BASE_URL).hostname or "").lower()


def credential_links(*texts: str) -> list[str]:
    """The links in `texts` that ask for credentials (empty when the message may go)."""
    own = _own_host()
    found = []
    for text in texts:
        for url in _URL.findall(text or ""):
            parts = urlsplit(url if "://" in url else "http://" + url)
            host, path = (parts.hostname or "").lower(), parts.path or "/"
            if host == own or host.endswith("." + own):
                if path.startswith(_OWN_LOGIN_PATHS):
                    found.append(url)
                continue  # our own pages (the reset link included) are fine
            if _CREDENTIAL_WORDS.search(host) or _CREDENTIAL_WORDS.search(path) or _CREDENTIAL_WORDS.search(parts.query):
                found.append(url)
    return found


def outbound_check(*texts: str) -> None:
    links = credential_links(*texts)
    if links:
        raise CredentialLinkRefused(
            "Support never sends links to login or credential pages; remove: " + ", ".join(links[:3])
        )
