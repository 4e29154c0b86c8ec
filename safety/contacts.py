"""Is this really support? Check an e-mail address, domain, URL, phone number, Telegram/WeChat ID,
social handle or agent code against the registry of official contacts, and call out lookalikes.

Lookalikes are what phishers use: homoglyphs (Cyrillic "о" for "o", "rn" for "m", "0" for "o"),
our name with extra words (`okx-support-help.com`, `@OKX_Support_Desk`), a near miss (`okxx.com`),
or our domain buried in someone else's (`okx.com.verify-login.io`).
"""
import dataclasses
import re
import unicodedata
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Characters that read as Latin letters (Unicode TR39 confusables, the ones phishers use).
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d",
        "ԛ": "q", "ԝ": "w", "к": "k", "м": "m", "н": "h", "т": "t", "в": "b", "г": "r", "ɡ": "g", "ο": "o", "α": "a",
        "ν": "v", "ρ": "p", "τ": "t", "ι": "i", "κ": "k", "χ": "x", "υ": "u", "ω": "w", "ε": "e", "β": "b",
        "0": "o", "1": "l", "3": "e", "5": "s", "7": "t", "@": "a", "$": "s", "|": "l", "!": "i",
    }
)
_MULTI = [("rn", "m"), ("vv", "w"), ("cl", "d"), ("ii", "u")]
AGENT_CODE = re.compile(r"^AG-[0-9A-HJKMNP-TV-Z]{6}$")  # Crockford base32: no I, L, O, U
_HANDLE = re.compile(r"^@?[\w.\-]{2,64}$", re.UNICODE)
SOCIAL_HOSTS = {
    "t.me": "telegram", "telegram.me": "telegram", "x.com": "x", "twitter.com": "x", "facebook.com": "facebook",
    "instagram.com": "instagram", "youtube.com": "youtube", "tiktok.com": "tiktok", "weibo.com": "weibo", "linkedin.com": "linkedin",
}


def skeleton(text: str) -> str:
    """What a string looks like: compatibility-folded, accents dropped, homoglyphs mapped to Latin."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(_HOMOGLYPHS)
    for many, one in _MULTI:
        folded = folded.replace(many, one)
    return folded


def _domain(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    if "://" not in value and "/" in value:
        value = "//" + value
    host = urlsplit(value if "//" in value else "//" + value).hostname or value
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        pass
    return host[4:] if host.startswith("www.") else host


def _unicode_host(host: str) -> str:
    try:
        return host.encode("ascii").decode("idna")
    except UnicodeError:
        return host


def normalise(kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == "domain":
        return _domain(value)
    if kind == "email":
        local, _at, host = value.lower().rpartition("@")
        return f"{local}@{_domain(host)}" if local else value.lower()
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, None)
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        except phonenumbers.NumberParseException:
            return re.sub(r"[^\d+]", "", value)
    if kind in ("telegram", "social"):
        value = value.lower()
        for prefix in ("https://", "http://", "www."):
            value = value.removeprefix(prefix)
        value = value.split("?", 1)[0].rstrip("/")
        if "/" in value:
            value = value.rsplit("/", 1)[1]
        return value.lstrip("@")
    return value.lower().lstrip("@")


@dataclasses.dataclass
class Verdict:
    value: str
    kind: str  # what the input looked like
    official: bool
    message: str
    advice: str
    contact: object | None = None
    lookalike_of: str = ""
    agent: object | None = None
    retired: bool = False

    @property
    def status(self) -> str:
        if self.official:
            return "official"
        return "lookalike" if self.lookalike_of else "not_official"


def detect_kind(value: str) -> str:
    text = value.strip()
    if AGENT_CODE.match(text.upper()):
        return "agent"
    if re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", text):
        return "email"
    lowered = text.lower()
    if lowered.startswith(("http://", "https://", "www.")) or re.match(r"^[\w\-.]+\.[a-z\u00a1-\uffff]{2,}(/|$)", lowered):
        host = _domain(text)
        if host in SOCIAL_HOSTS and urlsplit(text if "//" in text else "//" + text).path.strip("/"):
            return "telegram" if SOCIAL_HOSTS[host] == "telegram" else "social"
        return "domain"
    digits = re.sub(r"\D", "", text)
    if 7 <= len(digits) <= 15 and re.match(r"^\+?[\d\s().\-]+$", text):
        return "phone"
    if _HANDLE.match(text):
        return "handle"
    return "unknown"


def _official_domains() -> list[str]:
    """Registered domains plus the desk's own (its base URL and its mailbox) — always ours."""
    from safety.models import OfficialContact

    own = {_domain(settings.DESK_BASE_URL), _domain(settings.DESK_EMAIL_ADDRESS.rpartition("@")[2])}
    registered = set(OfficialContact.objects.filter(kind="domain", active=True).values_list("value", flat=True))
    return sorted(d for d in own | registered if d and d != "localhost")


def _brand(domain: str) -> str:
    """The name part of a domain: okx.com -> okx, support.exness.com -> exness."""
    labels = domain.split(".")
    return labels[-2] if len(labels) >= 2 else labels[0]


def _distance(a: str, b: str, limit: int = 2) -> int:
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def lookalike_domain(host: str, official: list[str]) -> str:
    """The official domain `host` imitates, or "" (an exact official domain or subdomain is not a lookalike)."""
    if any(host == d or host.endswith("." + d) for d in official):
        return ""
    shown = _unicode_host(host)
    for domain in official:
        brand = _brand(domain)
        if len(brand) < 3:
            continue
        if skeleton(shown) == skeleton(domain) or skeleton(shown).endswith("." + skeleton(domain)):
            return domain  # homoglyphs
        labels = re.split(r"[.\-_]", skeleton(shown))
        if brand in labels or any(brand in label for label in labels if len(label) > len(brand)):
            return domain  # our name with extra words, or our domain inside theirs
        if _distance(skeleton(_brand(shown)), brand) <= (1 if len(brand) <= 5 else 2):
            return domain  # a near miss
    return ""


def _lookalike_handle(handle: str, officials: list[str]) -> str:
    shown = skeleton(handle)
    for official in officials:
        target = skeleton(official)
        if shown == target or (len(target) >= 3 and target in shown) or _distance(shown, target) <= 1:
            return official
    for domain in _official_domains():
        brand = _brand(domain)
        if len(brand) >= 3 and brand in shown:
            return domain
    return ""


def _not_official(value, kind, lookalike="") -> Verdict:
    advice = _(
        "Do not send money, passwords, SMS or 2FA codes, private keys or seed phrases to it. We never ask for them. "
        "If someone contacted you from it, report it to us from your personal area."
    )
    if lookalike:
        message = _("Not official. This imitates our %(official)s — a typical phishing trick.") % {"official": lookalike}
    else:
        message = _("This is not one of our official contacts.")
    return Verdict(value=value, kind=kind, official=False, message=str(message), advice=str(advice), lookalike_of=lookalike)


def check_contact(value: str) -> Verdict:
    """The answer for one pasted value."""
    from safety.models import OfficialContact
    from support.models import AgentProfile

    # Control characters (a NUL cannot even be stored in a PostgreSQL text) are never part of a contact.
    value = "".join(ch for ch in (value or "") if ch.isprintable()).strip()[:500]
    kind = detect_kind(value)
    ok_advice = str(_("Still, never share passwords, codes, private keys or seed phrases: not even with us."))
    if kind == "agent":
        agent = AgentProfile.objects.select_related("user").filter(public_code=value.upper(), user__is_active=True).first()
        if agent is not None:
            name = agent.user.first_name or str(_("an agent"))
            return Verdict(value=value, kind=kind, official=True, agent=agent, advice=ok_advice,
                           message=str(_("Official: %(code)s is our agent %(name)s.") % {"code": value.upper(), "name": name}))
        return _not_official(value, kind)
    if kind in ("domain", "email"):
        host = _domain(value.rpartition("@")[2] if kind == "email" else value)
        official_domains = _official_domains()
        if kind == "email":
            exact = OfficialContact.objects.filter(kind="email", value=normalise("email", value)).first()
            if exact is not None:
                return _registered(value, kind, exact, ok_advice)
            own = normalise("email", settings.DESK_EMAIL_ADDRESS)
            if normalise("email", value) == own:
                return Verdict(value=value, kind=kind, official=True, advice=ok_advice, message=str(_("Official: this is our support mailbox.")))
            if any(host == d or host.endswith("." + d) for d in official_domains):
                return Verdict(
                    value=value, kind=kind, official=False, advice=str(_("Write to us only at the addresses listed as official.")),
                    message=str(_("Our domain, but not an address we use. Treat messages from it with care and report them.")),
                )
        else:
            registered = OfficialContact.objects.filter(kind="domain", value=host).first()
            if registered is not None:
                return _registered(value, kind, registered, ok_advice)
            if any(host == d or host.endswith("." + d) for d in official_domains):
                return Verdict(value=value, kind=kind, official=True, advice=ok_advice, message=str(_("Official: this is our website.")))
        return _not_official(value, kind, lookalike_domain(host, official_domains))
    if kind == "phone":
        contact = OfficialContact.objects.filter(kind="phone", value=normalise("phone", value)).first()
        if contact is not None:
            return _registered(value, kind, contact, ok_advice)
        return _not_official(value, kind)
    # Telegram, WeChat, social handles: look the handle up in every handle-like kind.
    handle = normalise("telegram", value)
    kinds = ["telegram", "wechat", "social"] if kind in ("handle", "unknown") else [kind]
    contact = OfficialContact.objects.filter(kind__in=kinds, value=handle).first()
    if contact is not None:
        return _registered(value, contact.kind, contact, ok_advice)
    officials = list(OfficialContact.objects.filter(kind__in=["telegram", "wechat", "social"], active=True).values_list("value", flat=True))
    return _not_official(value, kind, _lookalike_handle(handle, officials))


def _registered(value, kind, contact, ok_advice) -> Verdict:
    if not contact.active:
        return Verdict(
            value=value, kind=kind, official=False, contact=contact, retired=True,
            message=str(_("This contact is no longer ours. Anyone using it now is not support.")),
            advice=str(_("Do not send money, passwords, SMS or 2FA codes, private keys or seed phrases to it.")),
        )
    what = contact.label or contact.get_kind_display()
    return Verdict(value=value, kind=kind, official=True, contact=contact, advice=ok_advice,
                   message=str(_("Official: %(what)s.") % {"what": what}))
