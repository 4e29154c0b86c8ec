"""Raw RFC 5322 bytes -> `ParsedMessage`, for e-mail intake. No Django models, no database.

Design notes
------------
* Structure comes from the standard library's compat32 parser (fast, never strict); everything else -
  header decoding (RFC 2047 / RFC 2231 / raw 8-bit), charsets, body choice, attachments, TNEF, bounce and
  auto-reply recognition - is done here, tolerant of what real mail software sends.
* Charset labels map as browsers map them (see `tickets.mail.charsets`); decoding never raises.
* Bodies: text/plain is preferred for `body_text`, text/html (sanitised with nh3) for `body_html`; an
  HTML-only message gets `body_text` derived from its HTML. Several inline text parts are concatenated.
* Attachments: everything that is not body text. Nested messages (message/rfc822) are kept whole as
  "<subject>.eml" with their original bytes (we do not take their attachments). TNEF (winmail.dat) is
  unpacked with tnefparse; its files become ours, and its body is used when the message has none.
* Limits keep hostile input cheap: MIME depth, part count, decoded attachment bytes, body length,
  header lengths; no backtracking-prone regexes run on attacker input.
* `UnparseableMessage` is raised only for input that is not a message at all: empty input, or binary
  data with no header block (e.g. a bare winmail.dat/TNEF blob, an image). Text without any header is
  returned as a message with no From and a defect, so intake can quarantine it with the reason.
"""
from __future__ import annotations

import binascii
import hashlib
import html as htmllib
import importlib.util
import logging
import mimetypes
import re
import struct
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy as email_policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from io import BytesIO
from urllib.parse import unquote_to_bytes

import nh3

from tickets.attachments import IncomingFile
from tickets.mail.charsets import decode_bytes, normalize_charset, sniff_header_bytes

__all__ = [
    "UnparseableMessage", "ParsedAttachment", "ParsedMessage", "parse_message", "sanitize_html", "html_to_text",
    "decode_bytes", "decode_header_text",
]

# --------------------------------------------------------------------------------------------- limits
MAX_DEPTH = 30                      # MIME nesting we walk into
MAX_PARSER_DEPTH = 64               # nesting at which we stop the stdlib parser (it recurses per level)
MAX_PARTS = 1000                    # MIME parts looked at
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024   # total decoded attachment bytes kept
MAX_BODY_CHARS = 1_000_000          # body_text length
MAX_HTML_CHARS = 5_000_000          # HTML fed to the sanitiser
MAX_HEADER_CHARS = 64 * 1024        # any single header we decode / parse addresses from
MAX_CONTENT_TYPE_BYTES = 4096       # longer Content-Type headers are cut before the stdlib sees them
MAX_IDS = 200                       # References kept (first + most recent)
MAX_FILENAME = 200
MAX_TNEF_BYTES = 25 * 1024 * 1024
MAX_TNEF_WORK = 4_000_000_000       # objects x bytes: tnefparse copies the remaining data per object
MAX_RTF_BYTES = 2 * 1024 * 1024
MAX_DEFECTS = 50

TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef", "application/x-tnef"}
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"


class UnparseableMessage(Exception):
    """Raised only when nothing useful can be recovered; .reason is a short human-readable string."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# An attachment as parsed is the file every door hands to the services.
ParsedAttachment = IncomingFile


@dataclass
class ParsedMessage:
    message_id: str
    message_id_generated: bool
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_email: str = ""
    from_name: str = ""
    reply_to: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    envelope_recipients: list[str] = field(default_factory=list)
    subject: str = ""
    date: datetime | None = None
    body_text: str = ""
    body_html: str = ""
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto_reply_reason: str = ""
    bounce_reason: str = ""
    language: str = ""
    defects: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ HTML
ALLOWED_TAGS = {
    "p", "br", "div", "span", "b", "strong", "i", "em", "u", "a", "ul", "ol", "li", "blockquote", "pre", "code",
    "table", "thead", "tbody", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "img", "hr",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "cid"}
# Elements removed together with their content (never shown as text).
DROPPED_CONTENT_TAGS = {"script", "style", "title", "xml", "template", "iframe", "object", "embed", "noembed",
                        "noframes", "applet", "textarea", "select"}

_SANITIZER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=DROPPED_CONTENT_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    strip_comments=True,
    link_rel="noopener noreferrer",
    url_schemes=ALLOWED_URL_SCHEMES,
    url_relative="deny",
)
_PARA_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "dl", "hr"}
_LINE_TAGS = {"div", "tr", "dt", "dd", "section", "article", "header", "footer", "address", "center", "caption",
              "figure", "figcaption", "main", "nav", "aside", "form", "fieldset", "legend", "details", "summary"}
_TEXT_SANITIZER = nh3.Cleaner(
    tags=_PARA_TAGS | _LINE_TAGS | {"br", "li", "pre", "td", "th"},
    clean_content_tags=DROPPED_CONTENT_TAGS,
    attributes={},
    strip_comments=True,
    link_rel=None,
    url_schemes=set(),
)
_TAG_SPLIT = re.compile(r"(<[^<>]*>)")
_HTML_WS = re.compile(r"[ \t\r\n\f]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_TRAILING_WS = re.compile(r"[ \t]+\n")


_TAG_NAMES = re.compile(r"<(/?[A-Za-z][A-Za-z0-9]{0,15})")
_VOID_OR_OPTIONAL_END = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "keygen", "basefont", "bgsound", "frame", "image", "isindex", "spacer",
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "tbody", "thead", "tfoot", "colgroup", "rb",
    "rt", "rp", "rtc", "caption", "html", "head", "body",
}
MAX_HTML_OPEN_ELEMENTS = 1500
MAX_HTML_TAGS = 300_000


def _html_too_complex(html: str) -> bool:
    """True for HTML that would make the HTML5 tree builder quadratic: html5ever (inside nh3) checks scope by
    walking the stack of open elements, so 20,000 unclosed <div>/<font>/<ul> cost seconds and 100,000 minutes.
    A linear estimate of the open-element depth (void and optional-end-tag elements ignored) bounds it."""
    lt = html.count("<")
    if lt <= MAX_HTML_OPEN_ELEMENTS:
        return False
    names = _TAG_NAMES.findall(html)
    if len(names) > MAX_HTML_TAGS:
        return True
    open_counts: dict[str, int] = {}
    depth = 0
    for token in names:
        if token[0] == "/":
            name = token[1:].lower()
            if open_counts.get(name):
                open_counts[name] -= 1
                depth -= 1
        else:
            name = token.lower()
            if name in _VOID_OR_OPTIONAL_END:
                continue
            open_counts[name] = open_counts.get(name, 0) + 1
            depth += 1
            if depth > MAX_HTML_OPEN_ELEMENTS:
                return True
    return False


def _crude_text(html: str) -> str:
    """Linear-time fallback for pathological HTML: drop anything tag-shaped, decode entities."""
    text = htmllib.unescape(_TAG_SPLIT.sub(" ", html[:MAX_HTML_CHARS]))
    text = _CONTROL_CHARS.sub(" ", text.replace("\xa0", " ").replace("\r", ""))
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def sanitize_html(html: str) -> str:
    """HTML safe to show agents: a conservative allow-list, http(s)/mailto/cid links only, rel=noopener.
    Returns "" for HTML so deeply nested that sanitising it would take seconds (see _html_too_complex)."""
    if not html:
        return ""
    html = html.replace("\x00", "")
    if _html_too_complex(html):
        return ""
    return _SANITIZER.clean(html).strip()


def html_to_text(html: str) -> str:
    """Readable text from HTML: tags stripped, paragraphs and line breaks kept, entities decoded."""
    if not html:
        return ""
    html = html.replace("\x00", "")
    if _html_too_complex(html):
        return _crude_text(html)
    cleaned = _TEXT_SANITIZER.clean(html)
    tokens = _TAG_SPLIT.split(cleaned)
    out: list[str] = []
    in_pre = 0
    at_line_start = True
    for index, token in enumerate(tokens):
        if not token:
            continue
        if index % 2 == 0:                      # text
            if in_pre:
                out.append(token)
                at_line_start = token.endswith("\n")
                continue
            text = _HTML_WS.sub(" ", token)
            if at_line_start:
                text = text.lstrip(" ")
            if text:
                out.append(text)
                at_line_start = False
            continue
        closing = token.startswith("</")
        name = token[2:] if closing else token[1:]
        name = name.split(None, 1)[0].rstrip("/>").lower() if name.strip("/> ") else ""
        if name == "br":
            out.append("\n")
        elif name == "li":
            if closing:
                continue
            out.append("\n- ")
        elif name in ("td", "th"):
            if closing:
                out.append("\t")
            continue
        elif name == "pre":
            in_pre = max(0, in_pre + (-1 if closing else 1))
            out.append("\n\n")
        elif name in _PARA_TAGS:
            out.append("\n\n")
        elif name in _LINE_TAGS:
            out.append("\n")
        else:
            continue
        at_line_start = True
    text = htmllib.unescape("".join(out)).replace("\xa0", " ").replace("\r", "")
    text = _TRAILING_WS.sub("\n", text)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


# ------------------------------------------------------------------------------------ header decoding
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r\n|\r|\n")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NOT_BASE64 = bytes(b for b in range(256) if b not in _BASE64_ALPHABET)
_BASE64_TEXT = _BASE64_ALPHABET + b"=\r\n\t "


def _to_bytes(text: str) -> bytes:
    """Bytes behind a compat32 string: ASCII plus surrogate-escaped raw bytes (real non-ASCII as UTF-8)."""
    try:
        return text.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _raw_to_text(text: str, hint: str | None = None) -> str:
    if text.isascii():
        return text
    return sniff_header_bytes(_to_bytes(text), hint)


def _scrub(text: str) -> str:
    """No lone surrogates or NULs can leave this module (databases refuse both)."""
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text.replace("\x00", "") if "\x00" in text else text


def _b64decode(data: bytes) -> bytes | None:
    data = data.translate(None, _NOT_BASE64)
    if len(data) % 4 == 1:
        data = data[:-1]
    data += b"=" * (-len(data) % 4)
    try:
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return None


def _decode_word(encoding: str, text: str) -> bytes | None:
    data = _to_bytes(text)
    if encoding in "bB":
        return _b64decode(data)
    try:
        return binascii.a2b_qp(data, header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header_text(value: str | None, hint: str | None = None, defects: list[str] | None = None) -> str:
    """RFC 2047 encoded words (charset labels mapped like browsers do, adjacent words of one charset decoded
    together so split multi-byte characters survive), raw 8-bit bytes sniffed. Unfolds; never raises."""
    if not value:
        return ""
    if not isinstance(value, str):
        value = str(value)
    if len(value) > MAX_HEADER_CHARS:
        value = value[:MAX_HEADER_CHARS]
    if "\n" in value or "\r" in value:
        value = _FOLD.sub("", value)
    if "=?" not in value:
        return _raw_to_text(value, hint)
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None
    position = 0
    after_word = False

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending_charset is not None:
            text, defect = decode_bytes(bytes(pending), pending_charset)
            if defect and defects is not None:
                defects.append(f"header: {defect}")
            out.append(text)
        pending = bytearray()
        pending_charset = None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position:match.start()]
        if between and not (after_word and between.isspace()):
            flush()
            out.append(_raw_to_text(between, hint))
        charset, encoding, text = match.groups()
        data = _decode_word(encoding, text)
        position = match.end()
        if data is None:
            flush()
            out.append(match.group(0))
            after_word = False
            continue
        charset = charset.split("*", 1)[0].lower()
        if pending_charset is not None and charset != pending_charset:
            flush()
        pending += data
        pending_charset = charset
        after_word = True
    flush()
    tail = value[position:]
    if tail:
        out.append(_raw_to_text(tail, hint))
    return "".join(out)


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean_line(text: str) -> str:
    """One line of display text: control characters out, whitespace collapsed."""
    if not text:
        return ""
    return " ".join(_CONTROL_CHARS.sub(" ", _scrub(text)).split())


# ------------------------------------------------------------------------------- parameter parsing
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
_UNESCAPE = re.compile(r'\\(["\\])')   # only \" and \\: Windows paths like "C:\TEMP\x.png" keep their separators
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,100}")


def _parse_params(value: str | None, hint: str | None = None,
                  defects: list[str] | None = None) -> tuple[str, dict[str, str]]:
    """('main value' lower-cased, {param: decoded value}) from a Content-Type / Content-Disposition value.

    Tolerates missing semicolons, unquoted values with spaces, unterminated quotes, RFC 2231 (charset'lang'
    and continuations, joined before decoding), RFC 2047 words inside quoted values, raw 8-bit bytes."""
    if not value:
        return "", {}
    if not isinstance(value, str):
        value = str(value)
    if len(value) > 16384:
        value = value[:16384]
    if "\n" in value or "\r" in value:
        value = _FOLD.sub("", value)
    main, _, rest = value.partition(";")
    main = main.strip()
    if main and (" " in main or "\t" in main or "=" in main):
        pieces = main.split(None, 1)
        if "=" in pieces[0]:
            main, rest = "", main + ";" + rest
        else:
            main = pieces[0]
            if len(pieces) > 1 and "=" in pieces[1]:
                rest = pieces[1] + ";" + rest
    main = main.strip("\"' ").lower()
    params: dict[str, str] = {}
    extended: dict[str, dict[int, tuple[bool, str]]] = {}
    i, n, count = 0, len(rest), 0
    while i < n and count < 64:
        while i < n and rest[i] in " \t;":
            i += 1
        if i >= n:
            break
        eq = rest.find("=", i)
        semi = rest.find(";", i)
        if eq < 0 or 0 <= semi < eq:
            i = semi + 1 if semi >= 0 else n
            continue
        name = rest[i:eq].strip().lower()
        j = eq + 1
        while j < n and rest[j] in " \t":
            j += 1
        if j < n and rest[j] == '"':
            quoted = _QUOTED.match(rest, j)
            if quoted:
                val = quoted.group(1)
                if "\\" in val:
                    val = _UNESCAPE.sub(r"\1", val)
                semi = rest.find(";", quoted.end())
            else:                                   # unterminated quote: up to the next ';' or the end
                semi = rest.find(";", j)
                val = rest[j + 1:semi if semi >= 0 else n].strip().rstrip('"')
            i = n if semi < 0 else semi + 1
        else:
            semi = rest.find(";", j)
            end = n if semi < 0 else semi
            val = rest[j:end].strip().strip("'\"")
            i = end + 1
        count += 1
        if not name:
            continue
        if "*" in name:
            base, _, tail = name.partition("*")
            encoded = tail == "" or tail.endswith("*")
            digits = tail.rstrip("*")
            if digits == "":
                index = 0
            elif digits.isdigit() and len(digits) <= 4:
                index = int(digits)
            else:
                continue
            extended.setdefault(base.strip(), {}).setdefault(index, (encoded, val))
        else:
            params.setdefault(name, val)
    for base, segments in extended.items():
        charset = None
        chunks = []
        for position, index in enumerate(sorted(segments)):
            encoded, val = segments[index]
            if encoded:
                if position == 0 and val.count("'") >= 2:
                    charset, _lang, val = val.split("'", 2)
                chunks.append(unquote_to_bytes(_to_bytes(val)))
            else:
                chunks.append(_to_bytes(val))
        text, defect = decode_bytes(b"".join(chunks), charset or None)
        if defect and defects is not None:
            defects.append(f"parameter {base}: {defect}")
        if "=?" in text:
            text = decode_header_text(text, hint, defects)
        params[base] = text
    for name, val in params.items():
        if name in extended:
            continue
        if "=?" in val:
            params[name] = decode_header_text(val, hint, defects)
        elif not val.isascii():
            params[name] = _raw_to_text(val, hint)
    return main, params


def _media_type(main: str) -> str:
    """A clean lower-case type/subtype, or "" when the header holds something else."""
    match = _MEDIA_TYPE.fullmatch(main)
    return main if match else ""


# ----------------------------------------------------------------------------- addresses and ids
_ANGLE_ID = re.compile(r"<([^<>]{1,2000})>")
_ADDR_JUNK = "<>\"' \t;,()[]"


def _addresses(values: list[str], hint: str | None, defects: list[str] | None = None) -> list[tuple[str, str]]:
    """[(display name, lower-cased address)] from address headers; never raises."""
    found: list[tuple[str, str]] = []
    for value in values:
        if not value:
            continue
        if len(value) > MAX_HEADER_CHARS:
            value = value[:MAX_HEADER_CHARS]
            if defects is not None:
                defects.append("overlong address header truncated")
        value = _FOLD.sub(" ", value)
        try:
            pairs = getaddresses([value])
        except Exception:  # noqa: BLE001 - stdlib address parser quirks on hostile input
            pairs = []
        for name, addr in pairs:
            addr = _raw_to_text(addr, hint)
            if "=?" in addr:
                addr = decode_header_text(addr, hint)
            addr = addr.strip(_ADDR_JUNK).lower()
            if "@" not in addr or any(ch.isspace() for ch in addr) or len(addr) > 320:
                continue
            local, _, domain = addr.rpartition("@")
            if not local or not domain:
                continue
            found.append((_clean_line(decode_header_text(name, hint)).strip("\"' "), _scrub(addr)))
    return found


def _unique(items) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        if item and item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _strip_comments(value: str) -> str:
    """Drop RFC 5322 (comments), nested or not, outside <...>; linear."""
    if "(" not in value:
        return value
    out: list[str] = []
    depth = 0
    in_angle = False
    for ch in value:
        if depth == 0:
            if ch == "<":
                in_angle = True
            elif ch == ">":
                in_angle = False
            elif ch == "(" and not in_angle:
                depth = 1
                out.append(" ")
                continue
            out.append(ch)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
    return "".join(out)


def _message_ids(values: list[str], hint: str | None = None) -> list[str]:
    ids: list[str] = []
    for value in values:
        if not value:
            continue
        value = _strip_comments(value[:MAX_HEADER_CHARS])
        found = []
        for match in _ANGLE_ID.finditer(value):
            item = match.group(1).strip()
            if any(ch.isspace() for ch in item):         # folded inside the id, or prose in brackets
                item = "".join(item.split()) if "@" in item else ""
            found.append(item)
        if not found:
            found = [tok.strip(_ADDR_JUNK) for tok in value.split() if "@" in tok]
        ids.extend(_scrub(_raw_to_text(item, hint))[:998] for item in found if item)
    ids = _unique(ids)
    if len(ids) > MAX_IDS:
        ids = ids[:1] + ids[-(MAX_IDS - 1):]
    return ids


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    value = " ".join(_FOLD.sub(" ", value[:256]).split())
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


# --------------------------------------------------------------------------- transfer encodings
def _uudecode(data: bytes) -> bytes | None:
    out = bytearray()
    lines = data.splitlines()
    started = False
    for line in lines:
        if not started:
            if line.startswith(b"begin"):
                started = True
            continue
        stripped = line.strip()
        if stripped == b"end":
            break
        if not stripped or stripped == b"`":
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            try:
                nbytes = (((line[0] - 32) & 63) * 4 + 5) // 3
                out += binascii.a2b_uu(line[:nbytes])
            except (binascii.Error, IndexError):
                continue
    return bytes(out) if started else None


def _b64decode_clean(text: str) -> bytes | None:
    """Clean base64 (only the alphabet, line breaks and final padding) straight from the parsed ASCII
    text, without the two whole-payload copies of the general path; None when that path must decide."""
    pad = text.find("=")
    if pad >= 0 and text[pad:].strip("=\r\n\t "):
        return None  # padding inside the data (concatenated chunks)
    for start in range(0, len(text), 65536):
        if text[start:start + 65536].encode("ascii").translate(None, _BASE64_TEXT):
            return None  # stray characters: the general path judges and reports them
    try:
        return binascii.a2b_base64(text)
    except (binascii.Error, ValueError):
        return None  # incomplete last group: the general path repairs it


def _decode_transfer(data: bytes, cte: str, defects: list[str]) -> bytes:
    if not cte or cte in ("7bit", "8bit", "binary", "7-bit", "8-bit", "none"):
        return data
    if cte == "base64":
        stray = len(data.translate(None, _BASE64_TEXT))
        if stray > 16 and stray * 10 > len(data):
            defects.append("content labelled base64 is not base64; kept as is")
            return data
        decoded = _b64decode(data)
        if decoded is None:
            defects.append("undecodable base64 content kept as is")
            return data
        return decoded
    if cte in ("quoted-printable", "quoted_printable", "qp"):
        try:
            return binascii.a2b_qp(data)
        except (binascii.Error, ValueError):
            defects.append("undecodable quoted-printable content kept as is")
            return data
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue"):
        decoded = _uudecode(data)
        if decoded is None:
            defects.append("uuencoded part without a begin line kept as is")
            return data
        return decoded
    defects.append(f"unknown transfer encoding {cte[:30]!r}; kept as is")
    return data


# ------------------------------------------------------------------------------------------ TNEF / RTF
_RTF_PREBUF = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
               b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
               b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")


def decompress_rtf(data: bytes, limit: int = MAX_RTF_BYTES) -> bytes | None:
    """MS-OXRTFCP compressed RTF (PR_RTF_COMPRESSED) -> RTF bytes; None when it is not compressed RTF."""
    if not data or len(data) < 16:
        return None
    comp_size, raw_size, magic, _crc = struct.unpack_from("<IIII", data)
    if magic == 0x414C454D:                                  # "MELA": stored uncompressed
        return data[16:16 + min(raw_size, limit)]
    if magic != 0x75465A4C:                                  # "LZFu"
        return None
    window = bytearray(4096)
    window[:len(_RTF_PREBUF)] = _RTF_PREBUF
    write = len(_RTF_PREBUF)
    out = bytearray()
    end = min(len(data), 4 + comp_size)
    i = 16
    limit = min(limit, raw_size + 4096)
    while i < end and len(out) < limit:
        control = data[i]
        i += 1
        for bit in range(8):
            if i >= end:
                break
            if control & (1 << bit):
                if i + 1 >= end:
                    return bytes(out)
                token = (data[i] << 8) | data[i + 1]
                i += 2
                offset, length = token >> 4, (token & 0xF) + 2
                if offset == write:
                    return bytes(out)
                for k in range(length):
                    byte = window[(offset + k) & 0xFFF]
                    out.append(byte)
                    window[write] = byte
                    write = (write + 1) & 0xFFF
            else:
                byte = data[i]
                i += 1
                out.append(byte)
                window[write] = byte
                write = (write + 1) & 0xFFF
    return bytes(out)


_RTF_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z'])|([{}])|[\r\n]+"
                        rb"|([^\\{}\r\n]+)")
_RTF_DESTINATIONS = {
    "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "header", "footer", "headerl", "headerr",
    "headerf", "footerl", "footerr", "footerf", "ftnsep", "ftnsepc", "aftnsep", "generator", "listtable",
    "listoverridetable", "revtbl", "rsidtbl", "xmlnstbl", "themedata", "colorschememapping", "datastore",
    "latentstyles", "pgdsctbl", "fldinst", "filetbl", "mmathpr", "userprops", "docvar", "template", "field_inst",
    "nonshppict", "shppict", "bkmkstart", "bkmkend", "xe", "tc", "txe", "operator", "author", "comment",
}
_RTF_SPECIALS = {"par": "\n", "line": "\n", "sect": "\n\n", "page": "\n\n", "row": "\n", "cell": "\t", "tab": "\t",
                 "emdash": "\u2014", "endash": "\u2013", "lquote": "\u2018", "rquote": "\u2019",
                 "ldblquote": "\u201c", "rdblquote": "\u201d", "bullet": "\u2022", "emspace": " ", "enspace": " "}


def rtf_to_text(rtf: bytes) -> tuple[str, bool]:
    """(text, is_html): plain text of an RTF document, or the HTML it encapsulates (\\fromhtml1)."""
    is_html = b"\\fromhtml" in rtf[:2048]
    codepage = "cp1252"
    found = re.search(rb"\\ansicpg([0-9]{1,5})", rtf[:4096])
    if found:
        codepage = normalize_charset("cp" + found.group(1).decode()) or "cp1252"
    out: list[str] = []
    pending = bytearray()
    stack: list[tuple[bool, bool, int]] = []
    skip = htmlrtf = False
    uc = 1
    skip_chars = 0
    group_start = star = False

    def flush() -> None:
        if pending:
            out.append(decode_bytes(bytes(pending), codepage)[0])
            pending.clear()

    for match in _RTF_TOKEN.finditer(rtf[:MAX_RTF_BYTES]):
        word, arg, hexbyte, symbol, brace, text = match.groups()
        if brace is not None:
            if brace == b"{":
                stack.append((skip, htmlrtf, uc))
                group_start, star = True, False
                if len(stack) > 500:
                    break
            elif stack:
                skip, htmlrtf, uc = stack.pop()
                group_start = star = False
            continue
        if word is not None:
            name = word.decode("ascii").lower()
            if group_start:
                if star and not (is_html and name == "htmltag"):
                    skip = True
                elif name in _RTF_DESTINATIONS:
                    skip = True
            group_start = star = False
            if skip:
                continue
            if name == "htmlrtf":
                htmlrtf = arg != b"0"
                continue
            if htmlrtf:
                continue
            if name == "u" and arg:
                flush()
                value = int(arg)
                if value < 0:
                    value += 65536
                out.append(chr(value) if 0 < value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else "\ufffd")
                skip_chars = uc
            elif name == "uc" and arg:
                uc = max(0, min(int(arg), 10))
            elif name in _RTF_SPECIALS:
                flush()
                out.append(_RTF_SPECIALS[name])
            continue
        if symbol is not None:
            if symbol == b"*":
                star = True
                continue
            group_start = False
            if skip or htmlrtf:
                continue
            if symbol in (b"\\", b"{", b"}"):
                if skip_chars:
                    skip_chars -= 1
                    continue
                pending += symbol
            elif symbol == b"~":
                flush()
                out.append("\xa0")
            continue
        if hexbyte is not None:
            group_start = False
            if skip or htmlrtf:
                continue
            if skip_chars:
                skip_chars -= 1
                continue
            pending.append(int(hexbyte, 16))
            continue
        if text is not None:
            group_start = False
            if skip or htmlrtf:
                continue
            if skip_chars:
                drop = min(skip_chars, len(text))
                text = text[drop:]
                skip_chars -= drop
            pending += text
    flush()
    result = "".join(out)
    if not is_html:
        result = _MANY_NEWLINES.sub("\n\n", result.replace("\r", "")).strip()
    return result, is_html


def _tnef_precheck(data: bytes) -> str | None:
    """A reason to refuse the blob, or None. tnefparse spins on implausible counts and copies the rest of the
    data per object, so bound objects x bytes and the nesting of embedded messages before handing it over."""
    if len(data) > MAX_TNEF_BYTES:
        return "TNEF larger than the unpacking limit"
    if len(data) < 6 or data[:4] != TNEF_SIGNATURE:
        return "not TNEF data (bad signature)"
    offset, objects = 6, 0
    while offset + 12 < len(data):
        length = struct.unpack_from("<I", data, offset + 5)[0]
        name = struct.unpack_from("<H", data, offset + 1)[0]
        if name in (0x9003, 0x9005, 0x9004) and offset + 13 <= len(data):
            count = struct.unpack_from("<I", data, offset + 9)[0]
            if count > max(length, 0) // 4 + 1:
                return "TNEF with an implausible property count"
        offset += min(len(data) - offset, length + 11)
        objects += 1
        if objects * len(data) > MAX_TNEF_WORK or objects > 100_000:
            return "TNEF with too many objects"
    if data.count(b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46") > 16:
        return "TNEF with too many embedded messages"
    return None


def _install_tnef_guard():
    """tnefparse.decode_mapi loops `num_properties` times even past the end of the data (a 4-billion-step
    loop on a crafted blob). Refuse implausible counts before it starts; everything else is unchanged."""
    try:
        import tnefparse.tnef as tnef_module
    except ImportError:  # pragma: no cover - tnefparse is a requirement
        return None
    original = getattr(tnef_module, "decode_mapi", None)
    if original is None or getattr(original, "_support_desk_guard", False):
        return tnef_module

    def guarded_decode_mapi(data, codepage="cp1252", starting_offset=None):
        start = starting_offset or 0
        if len(data) >= start + 4:
            count = struct.unpack_from("<I", data, start)[0]
            if count > (len(data) - start) // 4 + 1:
                raise ValueError("implausible MAPI property count")
        return original(data, codepage, starting_offset)

    guarded_decode_mapi._support_desk_guard = True
    tnef_module.decode_mapi = guarded_decode_mapi
    return tnef_module


_tnef = _install_tnef_guard()


class _QuietTnef(logging.Filter):
    """tnefparse logs at INFO on every call ("Skipping checksum for performance") and at ERROR on broken
    blobs; we report those as defects instead, so only its warnings and worse reach the logs, once each."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


logging.getLogger("tnefparse").addFilter(_QuietTnef())


def _tnef_text(value, codepage: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else b""
    if isinstance(value, bytes):
        text, _ = decode_bytes(value.rstrip(b"\x00"), codepage or "cp1252")
        return text
    return str(value).rstrip("\x00")


# ------------------------------------------------------------------------------ stdlib tree parsing
_LINE_BREAK_NOT_FOLDED = re.compile(rb"(?>\r\n|\r|\n)(?![ \t])")
_CONTENT_TYPE = b"content-type:"
_SCAN_WINDOW = 1 << 18


def _content_type_positions(raw: bytes):
    """Offsets of "content-type:" in any letter case, lower-casing 256 KiB at a time: as fast as one
    lower-cased copy of the message (a case-insensitive regex is several times slower), without it."""
    overlap = len(_CONTENT_TYPE) - 1
    for start in range(0, len(raw), _SCAN_WINDOW):
        window = raw[start:start + _SCAN_WINDOW + overlap].lower() if len(raw) > _SCAN_WINDOW else raw.lower()
        position = window.find(_CONTENT_TYPE)
        while 0 <= position < _SCAN_WINDOW:  # later ones start in the next window
            yield start + position
            position = window.find(_CONTENT_TYPE, position + 1)


def _defuse(raw: bytes, defects: list[str]) -> bytes:
    """Cut Content-Type headers longer than MAX_CONTENT_TYPE_BYTES: the stdlib's parameter parser is
    quadratic in their length (many ';' inside quotes), which turns a 100 KB header into seconds of CPU."""
    pieces: list[bytes] = []
    last = resume = 0
    for position in _content_type_positions(raw):
        if position < resume:
            continue
        at_line_start = position == 0 or raw[position - 1] in b"\r\n"
        end_match = _LINE_BREAK_NOT_FOLDED.search(raw, position) if at_line_start else None
        end = end_match.start() if end_match else len(raw)
        if at_line_start and end - position > MAX_CONTENT_TYPE_BYTES:
            pieces.append(raw[last:position + MAX_CONTENT_TYPE_BYTES])
            last = end
            defects.append("overlong Content-Type header truncated")
        resume = max(end, position + 13)
    if not pieces:
        return raw
    pieces.append(raw[last:])
    return b"".join(pieces)


class _TooDeep(Exception):
    pass


# The stdlib's FeedParser compiles a regex for every multipart boundary it meets ("--" + boundary, then an
# optional "--", blanks and a line break): about 90 µs of sre's pure-Python compiler each, since boundaries are
# unique and miss re's cache; a seventh of parsing the benchmark's mix. Our parser uses a private copy of
# email.feedparser whose `re.compile` gives that one pattern as a prefix test plus a regex compiled once, with
# the same matches for the groups the parser reads ("end", "linesep"); any other pattern is re's. The
# stdlib's module itself is untouched (the benchmark's baseline parses with it).
_BOUNDARY_HEAD = "(?P<sep>"
_BOUNDARY_TAIL_SOURCE = r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
_BOUNDARY_TAIL = re.compile(r"(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$")
_RE_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


class _BoundaryPattern:
    __slots__ = ("separator",)

    def __init__(self, separator: str):
        self.separator = separator

    def match(self, line: str):
        if line.startswith(self.separator):
            return _BOUNDARY_TAIL.match(line, len(self.separator))
        return None


class _FeedParserRe:
    """`re` as the private email.feedparser sees it."""

    def __getattr__(self, name: str):
        return getattr(re, name)

    @staticmethod
    def compile(pattern, flags=0):
        if (not flags and isinstance(pattern, str) and pattern.startswith(_BOUNDARY_HEAD)
                and pattern.endswith(_BOUNDARY_TAIL_SOURCE)):
            escaped = pattern[len(_BOUNDARY_HEAD):-len(_BOUNDARY_TAIL_SOURCE)]
            separator = _RE_UNESCAPE.sub(r"\1", escaped)
            if re.escape(separator) == escaped:  # exactly what re.escape made of a separator
                return _BoundaryPattern(separator)
        return re.compile(pattern, flags)


def _private_feedparser():
    spec = importlib.util.find_spec("email.feedparser")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not registered in sys.modules: email.feedparser stays the stdlib's
    module.re = _FeedParserRe()
    return module


_FeedParser = _private_feedparser().FeedParser


# A run of 32 or more whole lines of base64 (the body of an attachment): 40+ characters of the alphabet each,
# padding at the end, then LF or CRLF. Such a line cannot start a header, a continuation, a boundary or a
# blank line, so to the stdlib's parser each line of a run is alike.
_BASE64_RUN = re.compile(rb"^(?:[A-Za-z0-9+/]{40,}={0,2}\r?\n){32,}", re.MULTILINE)
_ELIDE_MIN_BYTES = 16384  # smaller messages are parsed as they are
_ELIDED_MARK = "\x00desk-elided-"
_ELIDED = re.compile("\x00desk-elided-([0-9]+)\x00")


def _elide_base64_runs(data: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """`data` with each base64 run (but its last line break) replaced by one placeholder line, and the runs'
    (start, end) in `data`. The stdlib's parser reads a message line by line in Python, so an attachment's
    13,000 lines of base64 were most of the time of parsing a megabyte; one line instead gives the same tree
    (`_restore_runs` puts the runs back into the payloads), because nothing in the parser's state machine
    tells one base64 line from another or from the placeholder: none is blank, a header, a continuation, a
    boundary or a From_ line. The line break after a run is kept: before a boundary, the parser drops it."""
    if len(data) < _ELIDE_MIN_BYTES or _ELIDED_MARK.encode() in data:
        return data, []
    pieces: list[bytes] = []
    runs: list[tuple[int, int]] = []
    last = 0
    for match in _BASE64_RUN.finditer(data):
        start, end = match.span()
        end -= 2 if data[end - 2:end] == b"\r\n" else 1
        pieces.append(data[last:start])
        pieces.append(f"{_ELIDED_MARK}{len(runs)}\x00".encode())
        runs.append((start, end))
        last = end
    if not runs:
        return data, []
    pieces.append(data[last:])
    return b"".join(pieces), runs


def _restore_runs(root: Message, data: bytes, runs: list[tuple[int, int]]) -> None:
    """Put the runs `_elide_base64_runs` took out back where the parser left their placeholders."""

    def original(match: re.Match) -> str:
        start, end = runs[int(match.group(1))]
        return data[start:end].decode("ascii")

    for part in root.walk():
        for name in ("_payload", "preamble", "epilogue"):
            value = getattr(part, name, None)
            if isinstance(value, str) and _ELIDED_MARK in value:
                setattr(part, name, _ELIDED.sub(original, value))


def _parse_tree(raw: bytes, defects: list[str]) -> tuple[Message, bool]:
    """(root, complete). compat32 parsing exactly as email.message_from_bytes does it, but stopped when
    nesting passes MAX_PARSER_DEPTH (the stdlib recurses per level: a few thousand levels take seconds and
    end in RecursionError); then only the headers are kept and the body is raw text."""
    # Runs first, then the overlong Content-Type cut on what is left (a run holds no "content-type:" and no
    # header line, so the cut is the same; its scan lower-cases a copy of the message, now without the runs).
    fed, runs = _elide_base64_runs(raw)
    fed = _defuse(fed, defects)
    parser = _FeedParser(policy=email_policy.compat32)
    try:
        # Decoded chunk by chunk (ASCII + surrogateescape is one character per byte): no str copy of
        # the whole message next to the parser's own lines.
        for start in range(0, len(fed), 8192):
            parser.feed(fed[start:start + 8192].decode("ascii", "surrogateescape"))
            if len(getattr(parser, "_msgstack", ())) > MAX_PARSER_DEPTH:
                raise _TooDeep
        root = parser.close()
        if runs:
            _restore_runs(root, raw, runs)
        return root, True
    except (_TooDeep, RecursionError):
        defects.append(f"MIME nesting deeper than {MAX_PARSER_DEPTH} levels; body kept as raw text")
        return BytesParser(policy=email_policy.compat32).parsebytes(raw, headersonly=True), False


def _split_multipart(body: bytes, boundary: str) -> list[bytes] | None:
    """The raw bytes of each part of a multipart body, with the stdlib's delimiter rules: a delimiter is a
    whole line "--boundary", optionally followed by "--" (the close) and spaces/tabs."""
    try:
        delimiter = b"--" + boundary.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return None
    size = len(body)
    parts: list[bytes] = []
    start = None
    position = body.find(delimiter)
    while position >= 0:
        if position == 0 or body[position - 1] in b"\r\n":
            after = position + len(delimiter)
            close = body.startswith(b"--", after)
            end_of_line = after + (2 if close else 0)
            while end_of_line < size and body[end_of_line] in b" \t":
                end_of_line += 1
            if end_of_line >= size or body[end_of_line] in b"\r\n":
                if start is not None:
                    end = position
                    if body[end - 2:end] == b"\r\n":
                        end -= 2
                    elif end > 0 and body[end - 1] in b"\r\n":
                        end -= 1
                    parts.append(body[start:max(start, end)])
                if close:
                    return parts
                if body.startswith(b"\r\n", end_of_line):
                    start = end_of_line + 2
                else:
                    start = min(size, end_of_line + 1)
        position = body.find(delimiter, position + 1)
    if start is None:
        return None
    parts.append(body[start:])
    return parts


def _split_head(segment: bytes) -> tuple[bytes, bytes] | None:
    """(header block, body) of a raw part, split at the first empty line."""
    if segment.startswith(b"\r\n"):
        return b"", segment[2:]
    if segment.startswith((b"\n", b"\r")):
        return b"", segment[1:]
    best = None
    for marker in (b"\n\n", b"\n\r\n", b"\r\r"):
        index = segment.find(marker, 0, best[0] if best else len(segment))
        if index >= 0 and (best is None or index < best[0]):
            best = (index, index + len(marker))
    if best is None:
        return None
    return segment[:best[0]], segment[best[1]:]


# --------------------------------------------------------------------------------------- the walk
@dataclass
class _Segment:
    plain: str | None = None
    html: str | None = None


class _Source:
    """Raw bytes + the tree parsed from them, so a part's original bytes can be cut out by its path."""

    def __init__(self, raw: bytes, root: Message):
        self.raw = raw
        self.root = root
        self._splits: dict[tuple[int, ...], list[bytes] | None] = {}

    def _children(self, prefix: tuple[int, ...], segment: bytes, message: Message) -> list[bytes] | None:
        if prefix not in self._splits:
            split = _split_head(segment)
            boundary = message.get_boundary()
            payload = message.get_payload()
            parts = None
            if split is not None and boundary and isinstance(payload, list):
                parts = _split_multipart(split[1], boundary)
                if parts is not None and len(parts) != len(payload):
                    parts = None
            self._splits[prefix] = parts
        return self._splits[prefix]

    def part_bytes(self, path: tuple[int, ...]) -> bytes | None:
        segment, message = self.raw, self.root
        for depth, index in enumerate(path):
            parts = self._children(path[:depth], segment, message)
            if parts is None or index >= len(parts):
                return None
            segment, message = parts[index], message.get_payload()[index]
        return segment


_STDLIB_DEFECTS = {
    "NoBoundaryInMultipartDefect": "multipart without a boundary",
    "StartBoundaryNotFoundDefect": "multipart boundary never found",
    "CloseBoundaryNotFoundDefect": "multipart close boundary missing",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation",
    "MisplacedEnvelopeHeaderDefect": "misplaced From_ line",
    "MissingHeaderBodySeparatorDefect": "missing blank line after the headers",
    "MultipartInvariantViolationDefect": "multipart content-type without parts",
    "InvalidMultipartContentTransferEncodingDefect": "invalid transfer encoding on a multipart",
    "MalformedHeaderDefect": "malformed header",
    "InvalidBase64PaddingDefect": "bad base64 padding",
    "InvalidBase64CharactersDefect": "invalid base64 characters",
    "InvalidBase64LengthDefect": "bad base64 length",
}


class _Walker:
    def __init__(self, raw: bytes, root: Message, complete: bool, defects: list[str], hint: str | None):
        self.defects = defects
        self.hint = hint
        self.complete = complete
        self.attachments: list[ParsedAttachment] = []
        self.attachment_bytes = 0
        self.parts = 0
        self.too_many_parts = self.too_deep = self.over_budget = False
        self.recoveries = 0
        self.report_types: list[str] = []
        self.dsn_fields: list[dict[str, str]] = []
        self.has_dsn = self.has_mdn = self.has_arf = False
        self.report_text: list[str] = []
        self.tnef_bodies: list[_Segment] = []
        self.languages: list[str] = []
        self.source = _Source(raw, root)

    # -- helpers
    def note(self, text: str) -> None:
        self.defects.append(text)

    def headers(self, part: Message) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, value in part.raw_items():
            key = name.strip().lower()
            if key.startswith("content-") and key not in found:
                found[key] = value if isinstance(value, str) else str(value)
        return found

    def stdlib_defects(self, part: Message) -> None:
        for defect in getattr(part, "defects", ()) or ():
            name = type(defect).__name__
            self.note("MIME: " + _STDLIB_DEFECTS.get(name, name))

    def payload_bytes(self, part: Message, cte: str) -> bytes:
        payload = _raw_payload(part)
        if isinstance(payload, list):
            return b""
        if not isinstance(payload, str):
            payload = str(payload or "")
        if cte == "base64" and payload.isascii():
            decoded = _b64decode_clean(payload)
            if decoded is not None:
                return decoded
        return _decode_transfer(_to_bytes(payload), cte, self.defects)

    def add_attachment(self, filename: str, content_type: str, payload: bytes, content_id: str = "",
                       inline: bool = False, default_stem: str | None = None) -> None:
        if self.attachment_bytes + len(payload) > MAX_ATTACHMENT_BYTES:
            if not self.over_budget:
                self.note(f"attachments over {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB in total: the rest skipped")
            self.over_budget = True
            self.note(f"skipped attachment {(filename or content_type)[:80]!r} ({len(payload)} bytes)")
            return
        self.attachment_bytes += len(payload)
        content_type = _media_type(content_type) or "application/octet-stream"
        name = _sanitize_filename(filename)
        if not name:
            name = _default_filename(content_type, len(self.attachments) + 1, default_stem)
        self.attachments.append(ParsedAttachment(
            filename=name, content_type=content_type[:127], payload=payload,
            content_id=_scrub(content_id)[:255], inline=inline,
        ))

    # -- the tree
    def walk(self, part: Message, depth: int, path: tuple[int, ...], segments: list[_Segment], *,
             root: bool = False, in_alternative: bool = False, related_resource: bool = False,
             source: _Source | None = None) -> None:
        source = source or self.source
        self.parts += 1
        if self.parts > MAX_PARTS:
            if not self.too_many_parts:
                self.note(f"more than {MAX_PARTS} MIME parts: the rest ignored")
            self.too_many_parts = True
            return
        if depth > MAX_DEPTH:
            if not self.too_deep:
                self.note(f"MIME nesting deeper than {MAX_DEPTH}: deeper parts ignored")
            self.too_deep = True
            return
        try:
            self.walk_part(part, depth, path, segments, root=root, in_alternative=in_alternative,
                           related_resource=related_resource, source=source)
        except RecursionError:
            raise
        except Exception as exc:  # noqa: BLE001 - one bad part must not lose the whole message
            self.note(f"internal error on a MIME part ({type(exc).__name__}: {str(exc)[:80]}); part skipped")

    def walk_part(self, part: Message, depth: int, path: tuple[int, ...], segments: list[_Segment], *,
                  root: bool, in_alternative: bool, related_resource: bool, source: _Source) -> None:
        self.stdlib_defects(part)
        headers = self.headers(part)
        main, ctparams = _parse_params(headers.get("content-type"), self.hint, self.defects)
        content_type = _media_type(main)
        if headers.get("content-type") is not None and not content_type:
            self.note(f"invalid Content-Type {main[:40]!r}")
        payload = _raw_payload(part)
        if isinstance(payload, list):
            maintype = part.get_content_maintype()
            if maintype == "message":
                self.message_part(part, headers, ctparams, content_type or part.get_content_type(), path, source)
                return
            subtype = content_type.split("/", 1)[1] if content_type.startswith("multipart/") else "mixed"
            if subtype == "report":
                self.report_types.append(ctparams.get("report-type", "").strip().lower())
            if subtype == "alternative":
                self.alternative(payload, depth, path, segments, source)
            elif subtype == "related":
                self.related(payload, ctparams, depth, path, segments, source)
            else:
                for index, child in enumerate(payload):
                    self.walk(child, depth + 1, path + (index,), segments, source=source)
            return
        self.leaf(part, headers, content_type, ctparams, depth, segments, root=root,
                  in_alternative=in_alternative, related_resource=related_resource)

    def alternative(self, children: list[Message], depth: int, path: tuple[int, ...], segments: list[_Segment],
                    source: _Source) -> None:
        plain = html = None
        for index, child in enumerate(children):
            found: list[_Segment] = []
            self.walk(child, depth + 1, path + (index,), found, in_alternative=True, source=source)
            plains = [s.plain for s in found if s.plain is not None]
            htmls = [s.html for s in found if s.html is not None]
            if plains and plain is None and any(p.strip() for p in plains):
                plain = "\n\n".join(p for p in plains if p.strip())
            if htmls:
                html = "\n".join(htmls)
        if plain is not None or html is not None:
            segments.append(_Segment(plain=plain, html=html))

    def related(self, children: list[Message], params: dict[str, str], depth: int, path: tuple[int, ...],
                segments: list[_Segment], source: _Source) -> None:
        start = params.get("start", "").strip().strip("<>")
        root_index = None
        if start:
            for index, child in enumerate(children):
                if _strip_cid(child.get("content-id")) == start:
                    root_index = index
                    break
        if root_index is None:
            # RFC 2387 says the first part; MHTML writers put the HTML anywhere and name its type in "type".
            types = [child.get_content_type() for child in children]
            wanted = params.get("type", "").strip().lower()
            if wanted and wanted in types:
                root_index = types.index(wanted)
            elif types and not types[0].startswith(("text/", "multipart/")):
                root_index = next((i for i, t in enumerate(types) if t in ("text/html", "text/plain")
                                   or t.startswith("multipart/")), 0)
            else:
                root_index = 0
        for index, child in enumerate(children):
            self.walk(child, depth + 1, path + (index,), segments, related_resource=index != root_index,
                      source=source)

    def leaf(self, part: Message, headers: dict[str, str], content_type: str, ctparams: dict[str, str], depth: int,
             segments: list[_Segment], *, root: bool, in_alternative: bool, related_resource: bool) -> None:
        disposition, dparams = _parse_params(headers.get("content-disposition"), self.hint, self.defects)
        filename = dparams.get("filename") or ctparams.get("name") or ""
        content_id = _strip_cid(headers.get("content-id"))
        cte = _cte(headers.get("content-transfer-encoding"))
        charset = ctparams.get("charset")
        if not content_type:
            content_type = "text/plain"
        language = headers.get("content-language")
        if language:
            self.languages.append(language)

        if content_type.startswith("multipart/"):
            self.broken_multipart(part, headers, content_type, ctparams, depth, segments)
            return
        is_body_type = content_type in ("text/plain", "text/html")
        if is_body_type and not related_resource and (
            (disposition != "attachment" and (not filename or in_alternative or root))
            or (root and not filename)
        ):
            data = self.payload_bytes(part, cte)
            text, defect = decode_bytes(data, charset)
            if defect:
                self.note(defect)
            if content_type == "text/plain":
                segments.append(_Segment(plain=text))
            else:
                segments.append(_Segment(html=text))
            return
        if content_type in TNEF_TYPES or filename.strip().lower() == "winmail.dat":
            self.tnef(self.payload_bytes(part, cte), filename or "winmail.dat", content_type)
            return
        data = self.payload_bytes(part, cte)
        if content_type == "text/rfc822-headers":
            self.report_text.append(decode_bytes(data[:8192], charset)[0])
            default_stem = "rfc822-headers"
        else:
            default_stem = None
        inline = bool(content_id) and disposition != "attachment"
        self.add_attachment(filename, content_type, data, content_id, inline, default_stem)

    def broken_multipart(self, part: Message, headers: dict[str, str], content_type: str, ctparams: dict[str, str],
                         depth: int, segments: list[_Segment]) -> None:
        """A multipart the stdlib could not split (missing/wrong boundary): guess the boundary from the body;
        failing that keep the body as text."""
        payload = _raw_payload(part)
        body = payload if isinstance(payload, str) else ""
        if self.complete and self.recoveries < 5 and body:
            guess = _guess_boundary(body, ctparams.get("boundary"))
            if guess:
                self.recoveries += 1
                quoted = guess.replace("\\", "\\\\").replace('"', '\\"')
                head = f'Content-Type: {content_type}; boundary="{quoted}"\n\n'
                synthetic = _to_bytes(head + body)
                sub_defects: list[str] = []
                tree, complete = _parse_tree(synthetic, sub_defects)
                if complete and isinstance(tree.get_payload(), list) and tree.get_payload():
                    self.note("multipart boundary recovered from the body")
                    self.walk(tree, depth + 1, (), segments, source=_Source(synthetic, tree))
                    return
        self.note("multipart without usable boundary; body kept as text")
        data = _to_bytes(body)
        data = _decode_transfer(data, _cte(headers.get("content-transfer-encoding")), self.defects)
        text, defect = decode_bytes(data, ctparams.get("charset"))
        if defect:
            self.note(defect)
        if text.strip():
            segments.append(_Segment(plain=text))

    def message_part(self, part: Message, headers: dict[str, str], ctparams: dict[str, str], content_type: str,
                     path: tuple[int, ...], source: _Source) -> None:
        subtype = content_type.split("/", 1)[1] if "/" in content_type else "rfc822"
        original = self.original_body(part, headers, path, source)
        disposition, dparams = _parse_params(headers.get("content-disposition"), self.hint, self.defects)
        content_id = _strip_cid(headers.get("content-id"))
        if subtype in ("delivery-status", "global-delivery-status"):
            self.has_dsn = True
            self.collect_dsn(part)
            self.report_text.append(decode_bytes(original[:8192], None)[0])
            self.add_attachment("", content_type, original, content_id, False, "delivery-status")
            return
        if subtype in ("disposition-notification", "global-disposition-notification"):
            self.has_mdn = True
            self.add_attachment("", content_type, original, content_id, False, "disposition-notification")
            return
        if subtype == "feedback-report":
            self.has_arf = True
            self.add_attachment("", content_type, original, content_id, False, "feedback-report")
            return
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner else None
        subject = ""
        if inner_message is not None:
            for name, value in inner_message.raw_items():
                if name.strip().lower() == "subject":
                    subject = _clean_line(decode_header_text(value, self.hint))
                    break
        if not subject and _cte(headers.get("content-transfer-encoding")) in ("base64", "quoted-printable"):
            # Encoded message/rfc822 (not allowed, but sent): the stdlib parsed the encoded text, not the message.
            decoded_head = BytesParser(policy=email_policy.compat32).parsebytes(original[:65536], headersonly=True)
            for name, value in decoded_head.raw_items():
                if name.strip().lower() == "subject":
                    subject = _clean_line(decode_header_text(value, self.hint))
                    break
        if subtype in ("rfc822", "global", "news"):
            self.add_attachment("", "message/rfc822", original, content_id, False,
                                default_stem=f"eml:{subject}")
        else:
            filename = dparams.get("filename") or ctparams.get("name") or ""
            self.add_attachment(filename, content_type, original, content_id, False)

    def original_body(self, part: Message, headers: dict[str, str], path: tuple[int, ...], source: _Source) -> bytes:
        """The part's body exactly as it came (for message/rfc822: the embedded message's own bytes)."""
        cte = _cte(headers.get("content-transfer-encoding"))
        body = None
        segment = source.part_bytes(path) if path else source.raw
        split = _split_head(segment) if segment is not None else None
        if split is not None:
            body = split[1]
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            keys = first.keys() if isinstance(first, Message) else []
            if keys:
                start = body.lstrip()[:300].lower()
                if not start.startswith(_to_bytes(keys[0].strip().lower())) and not (
                    first.get_unixfrom() and start.startswith(b"from ")
                ):
                    body = None
        if body is None:
            body = _flatten_body(part)
        if cte in ("base64", "quoted-printable"):
            body = _decode_transfer(body, cte, self.defects)
        return body

    def collect_dsn(self, part: Message) -> None:
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            return
        for block in blocks[:50]:
            if not isinstance(block, Message):
                continue
            fields: dict[str, str] = {}
            for name, value in block.raw_items():
                key = name.strip().lower()
                if key not in fields:
                    fields[key] = _clean_line(_raw_to_text(str(value)[:1000], self.hint))
            if "final-recipient" in fields or "action" in fields or "status" in fields:
                self.dsn_fields.append(fields)

    def tnef(self, data: bytes, filename: str, content_type: str) -> None:
        problem = _tnef_precheck(data)
        tnef = None
        if problem is None and _tnef is not None:
            try:
                tnef = _tnef.TNEF(data, do_checksum=False)
            except Exception as exc:  # noqa: BLE001 - tnefparse raises anything on broken input
                problem = f"TNEF could not be unpacked ({type(exc).__name__})"
        if tnef is None:
            self.note(f"{problem or 'TNEF could not be unpacked'}; kept {filename!r} as is")
            self.add_attachment(filename, content_type or "application/ms-tnef", data)
            return
        extracted = 0
        codepage = getattr(tnef, "codepage", None)
        for attachment in getattr(tnef, "attachments", []) or []:
            try:
                payload = attachment.data
                if isinstance(payload, list):
                    payload = payload[0] if payload else b""
                if not isinstance(payload, (bytes, bytearray)) or not payload:
                    continue
                try:
                    name = attachment.long_filename()
                except Exception:  # noqa: BLE001 - tnefparse decodes 8-bit names as UTF-8 and fails
                    name = getattr(attachment, "_name", b"") or ""
                name = _tnef_text(name, codepage) if not isinstance(name, str) else name
                mime = ""
                for attr in getattr(attachment, "mapi_attrs", []) or []:
                    if getattr(attr, "name", None) == 0x370E:          # PR_ATTACH_MIME_TAG
                        mime = _tnef_text(attr.data, codepage).strip().lower()
                        break
                guessed = mimetypes.guess_type(name or "", strict=False)[0] if name else None
                self.add_attachment(name, _media_type(mime) or guessed or "application/octet-stream", bytes(payload))
                extracted += 1
            except Exception as exc:  # noqa: BLE001
                self.note(f"TNEF attachment skipped ({type(exc).__name__})")
        body = _Segment()
        try:
            html = getattr(tnef, "htmlbody", None)
            if html:
                body.html = _tnef_text(html, codepage)
            text = getattr(tnef, "body", None)
            if text:
                body.plain = _tnef_text(text, codepage)
            compressed = getattr(tnef, "_rtfbody", None)
            if compressed and not body.plain and not body.html:
                rtf = decompress_rtf(compressed if isinstance(compressed, bytes) else b"")
                if rtf:
                    converted, is_html = rtf_to_text(rtf)
                    if is_html:
                        body.html = converted
                    else:
                        body.plain = converted
        except Exception as exc:  # noqa: BLE001
            self.note(f"TNEF body unreadable ({type(exc).__name__})")
        if body.plain or body.html:
            self.tnef_bodies.append(body)
        if not extracted and not (body.plain or body.html):
            self.note(f"TNEF held no attachments or body; kept {filename!r} as is")
            self.add_attachment(filename, content_type or "application/ms-tnef", data)


def _raw_payload(part: Message):
    """The payload as parsed: a str of ASCII + surrogate-escaped bytes, or a list of parts. (Message.get_payload()
    would decode 8-bit text with the declared charset and 'replace', losing bytes before we can map the label.)"""
    payload = getattr(part, "_payload", None)
    return part.get_payload() if payload is None else payload


def _flatten_body(part: Message) -> bytes:
    """Fallback when the raw bytes cannot be located: regenerate the part and drop its header block."""
    buffer = BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=email_policy.compat32).flatten(part)
    except Exception:  # noqa: BLE001 - the generator chokes on some broken trees
        inner = _raw_payload(part)
        return _to_bytes(inner if isinstance(inner, str) else "")
    data = buffer.getvalue()
    if data.startswith(b"\n"):
        return data[1:]
    head, _, body = data.partition(b"\n\n")
    return body


_BOUNDARY_LINE = re.compile(r"^--([^\s]{6,200})[ \t]*\r?$", re.M)


def _guess_boundary(body: str, declared: str | None) -> str | None:
    counts: Counter[str] = Counter()
    for match in _BOUNDARY_LINE.finditer(body, 0, min(len(body), 4 * 1024 * 1024)):
        candidate = match.group(1)
        if candidate.endswith("--"):
            candidate = candidate[:-2]
        counts[candidate] += 1
        if len(counts) > 1000:
            break
    for candidate, count in counts.most_common(3):
        if count >= 2 and candidate != declared and candidate.strip("-"):
            return candidate
    return None


def _cte(value: str | None) -> str:
    if not value:
        return ""
    tokens = _FOLD.sub("", str(value)).lower().replace(";", " ").replace('"', " ").replace("'", " ").split()
    return tokens[0] if tokens else ""


def _strip_cid(value) -> str:
    if not value:
        return ""
    value = _raw_to_text(_FOLD.sub("", str(value)))
    value = value.strip()
    if value.startswith("<") and ">" in value:
        value = value[1:value.index(">")]
    return value.strip()[:255]


_EXTENSIONS = {
    "text/plain": ".txt", "text/html": ".html", "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
    "application/pdf": ".pdf", "message/rfc822": ".eml", "text/calendar": ".ics", "application/octet-stream": ".bin",
    "message/delivery-status": ".txt", "message/global-delivery-status": ".txt", "text/rfc822-headers": ".txt",
    "message/disposition-notification": ".txt", "message/feedback-report": ".txt", "application/ms-tnef": ".dat",
    "image/webp": ".webp", "image/bmp": ".bmp", "image/tiff": ".tif",
}


def _extension(content_type: str) -> str:
    ext = _EXTENSIONS.get(content_type)
    if ext:
        return ext
    try:
        ext = mimetypes.guess_extension(content_type, strict=False)
    except Exception:  # noqa: BLE001
        ext = None
    return ext or ".bin"


def _default_filename(content_type: str, number: int, stem: str | None) -> str:
    if stem and stem.startswith("eml:"):
        subject = _sanitize_filename(stem[4:])[:MAX_FILENAME - 4].strip(" .")
        return f"{subject or 'message'}.eml"
    if stem:
        return f"{stem}{_extension(content_type)}"
    prefix = "image" if content_type.startswith("image/") else "attachment"
    return f"{prefix}-{number}{_extension(content_type)}"


def _sanitize_filename(name: str) -> str:
    if not name:
        return ""
    name = _scrub(name).replace("\\", "/").rsplit("/", 1)[-1]
    if not name.isascii() or _CONTROL_CHARS.search(name):
        name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = " ".join(name.split()).strip(" .")
    if not name:
        return ""
    if len(name) > MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16 and stem:
            name = stem[:MAX_FILENAME - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_FILENAME]
    return name


# --------------------------------------------------------------------------- bounces and auto-replies
_DAEMON_LOCALS = {"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "mail-daemon", "maildaemon",
                  "mail.daemon", "mdaemon", "mailer", "mail-delivery-system", "bounce", "bounces", "nobody",
                  "mail-delivery-subsystem", "returns", "noreply-dmarc-support", "root", "post_master",
                  "post-master", "mailerdeamon", "mailer-deamon"}
_DAEMON_NAMES = ("mailer-daemon", "mail delivery", "postmaster", "mail administrator", "delivery subsystem",
                 "mail system", "mailer daemon", "microsoft outlook", "system administrator", "mail daemon",
                 "delivery notification", "mail delivery system")
_BOUNCE_SUBJECTS = (
    "undelivered mail", "undeliverable", "undelivered message", "delivery status notification",
    "mail delivery failed", "delivery failure", "delivery failed", "returned mail", "failure notice",
    "mail delivery failure", "could not be delivered", "couldn't be delivered", "non-delivery", "nondeliverable",
    "non delivery", "not delivered", "delivery problem", "delivery notification", "mail system error",
    "mail failed", "returned to sender", "delivery report", "message delivery has failed", "delivery has failed",
    "warning: could not send", "could not send message", "delivery error", "mail delivery problem",
    "undeliverable mail", "permanent error", "delivery status", "message not delivered", "failed delivery",
    "returning message to sender", "rejected", "bounce", "delayed mail", "delivery delayed", "mail not delivered",
    "not be delivered", "unable to deliver", "postmaster notify", "see transcript", "error sending",
    "nicht zustellbar", "non remis", "no se puede entregar", "unzustellbar", "fehlgeschlagen",
    "メールエラー", "配信エラー", "配信不能", "不達", "送信エラー", "退信", "退回", "投递失败", "无法投递",
)
_DSN_MARKERS = (
    "diagnostic-code:", "final-recipient:", "action: failed", "status: 5.", "status: 4.", "action: delayed",
    "could not be delivered", "couldn't be delivered", "permanent fatal error", "this is the mail system at host",
    "wasn't able to deliver", "was not able to deliver", "undeliverable", "delivery to the following recipient",
    "delivery has failed", "unable to deliver", "user unknown", "mailbox unavailable", "no such user",
    "recipient address rejected", "address rejected", "message could not be delivered", "delivery failed",
    "returned mail", "failed permanently", "delivery to the following recipients failed", "host unknown",
    "mailbox is full", "over quota", "quota exceeded", "does not exist", "message was not delivered",
    "the following addresses had permanent fatal errors", "failed addresses follow", "delivery error",
    "smtp error", "rejected your message", "not deliver", "was undeliverable", "550 ", "554 ", "553 ", "552 ",
    "551 ", "5.1.1", "5.7.1", "5.2.2", "mail delivery failed", "returned to sender", "bounced",
    "original message follows", "--- below this line is a copy of the message", "transcript of session follows",
    "did not reach the following recipient", "recipient name is not recognized", "delivery to these recipients",
    "届きませんでした", "送信できませんでした", "配信できませんでした", "配送できませんでした", "宛先不明",
    "存在しない", "无法投递", "投递失败", "退信",
)
_AUTO_SUBJECT_PREFIXES = ("auto:", "automatic reply", "autoreply", "auto-reply", "auto reply", "auto response",
                          "autoresponse", "auto-response", "out of office", "out of the office", "abwesenheitsnotiz",
                          "réponse automatique", "respuesta automática", "risposta automatica", "自动回复",
                          "自動回覆", "自動応答", "vacation reply", "on vacation", "away from the office")
_REPLY_PREFIXES = ("re:", "fw:", "fwd:", "aw:", "wg:", "tr:", "sv:", "vs:", "rv:", "enc:")


_SES_NOTIFICATION = re.compile(r'notificationType\\?"\s*:\s*\\?"([A-Za-z]{1,20})')


def _is_daemon(address: str, name: str, raw_from: str) -> bool:
    local = address.partition("@")[0] if address else ""
    if local in _DAEMON_LOCALS:
        return True
    lowered = (name + " " + raw_from).lower()
    return any(marker in lowered for marker in _DAEMON_NAMES)


_LIST_HEADERS = ("list-id", "list-unsubscribe", "list-subscribe", "list-help", "list-post", "mailing-list",
                 "x-mlserver", "x-ml-name", "x-mailing-list")


def _list_robot(address: str, headers: dict) -> bool:
    """Notices from list software itself (owner-, -request, -admin addresses on a message with list headers)."""
    local = address.partition("@")[0]
    robot = local.startswith("owner-") or local.endswith(("-admin", "-owner", "-request", "-bounces", "-errors"))
    return robot and any(name in headers for name in _LIST_HEADERS)


_STRONG_BOUNCE_SUBJECTS = (
    "undelivered mail", "undeliverable", "delivery status notification", "mail delivery failed",
    "returned mail", "failure notice", "delivery failure", "non-delivery", "nondeliverable",
    "could not be delivered", "mail delivery failure", "returned to sender", "nicht zustellbar", "unzustellbar",
    "non remis", "メールエラー", "配信エラー", "配信不能", "不達", "退信", "投递失败", "无法投递",
)


def _bounce_subject(subject: str, strong: bool = False) -> bool:
    lowered = subject.lower()
    if lowered.startswith(_REPLY_PREFIXES):
        return False
    return any(marker in lowered for marker in (_STRONG_BOUNCE_SUBJECTS if strong else _BOUNCE_SUBJECTS))


def _dsn_like(text: str) -> bool:
    lowered = text[:30000].lower()
    return any(marker in lowered for marker in _DSN_MARKERS)


def _dsn_summary(fields: list[dict[str, str]]) -> str:
    for block in fields:
        if "final-recipient" in block or "original-recipient" in block or block.get("action"):
            action = block.get("action", "")
            status = block.get("status", "")
            recipient = block.get("final-recipient") or block.get("original-recipient") or ""
            recipient = recipient.split(";", 1)[-1].strip()
            diagnostic = block.get("diagnostic-code", "").split(";", 1)[-1].strip()
            pieces = [p for p in (action, status) if p]
            text = " ".join(pieces)
            if recipient:
                text += f" for {recipient}"
            if diagnostic:
                text += f" ({diagnostic})"
            return text.strip()
    return ""


def _classify(headers: dict[str, list[str]], walker: _Walker, from_email: str, from_name: str, subject: str,
              body_text: str) -> tuple[str, str]:
    """(auto_reply_reason, bounce_reason)."""
    def first(name: str) -> str:
        values = headers.get(name)
        return _clean_line(_raw_to_text(values[0][:1000])) if values else ""

    bounce = ""
    report_types = set(walker.report_types)
    if walker.has_dsn or report_types & {"delivery-status", "global-delivery-status"}:
        summary = _dsn_summary(walker.dsn_fields)
        bounce = "delivery status notification" + (f": {summary}" if summary else "")
    elif "x-failed-recipients" in headers:
        bounce = f"X-Failed-Recipients: {first('x-failed-recipients')}"
    elif "x-ms-exchange-message-is-ndr" in headers:
        bounce = "non-delivery report (Exchange)"
    else:
        raw_from = headers.get("from", [""])[0][:500]
        daemon = _is_daemon(from_email, from_name, _raw_to_text(raw_from))
        bounce_subject = _bounce_subject(subject)
        return_path = headers.get("return-path")
        null_sender = bool(return_path) and return_path[0].strip() in ("<>", "", "< >", "<<>>")
        if daemon or null_sender or bounce_subject:
            sample = body_text[:30000] + "\n" + "\n".join(walker.report_text)
            dsn_text = _dsn_like(sample)
            if daemon and (bounce_subject or dsn_text):
                bounce = f"bounce from {from_email or 'the mail system'}: {subject or '(no subject)'}"
            elif null_sender and (bounce_subject or dsn_text):
                bounce = f"bounce (empty Return-Path): {subject or '(no subject)'}"
            elif not _bounce_subject(subject, strong=True) or not dsn_text:
                pass
            elif not from_email:
                bounce = f"bounce (no sender): {subject or '(no subject)'}"
            elif (walker.report_text or any(
                a.content_type == "message/rfc822" for a in walker.attachments
            )):
                bounce = f"bounce (returned message attached): {subject}"
    amazon = from_email.endswith((".amazonaws.com", ".amazonses.com")) and (
        "notificationtype" in body_text[:4000].lower()
    )
    if not bounce and amazon:
        notification = _SES_NOTIFICATION.search(body_text[:4000])
        if notification and notification.group(1).lower() == "bounce":
            bounce = "Amazon SES bounce notification"
    bounce = bounce[:300]

    auto = ""
    auto_submitted = first("auto-submitted").lower()
    precedence = first("precedence").lower()
    if auto_submitted and auto_submitted.split(";", 1)[0].split("(", 1)[0].strip() not in ("no", ""):
        auto = f"Auto-Submitted: {auto_submitted}"
    elif walker.has_mdn or "disposition-notification" in report_types:
        auto = "read receipt (message disposition notification)"
    elif walker.has_arf or "feedback-report" in report_types:
        auto = "abuse feedback report (ARF)"
    elif precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        listy = "list-id" in headers or "list-unsubscribe" in headers
        auto = f"Precedence: {precedence}" + (" (mailing list)" if listy else "")
    elif "x-autoreply" in headers and first("x-autoreply").lower() not in ("no", "false", "0"):
        auto = "X-Autoreply"
    elif "x-autorespond" in headers and first("x-autorespond").lower() not in ("no", "false", "0"):
        auto = "X-Autorespond"
    elif "x-auto-response-suppress" in headers and (
        {t.strip().lower() for t in first("x-auto-response-suppress").split(",")} & {"oof", "all"}
    ):
        auto = f"X-Auto-Response-Suppress: {first('x-auto-response-suppress')}"
    elif "x-autogenerated" in headers or "x-autoreply-from" in headers or "x-mail-autoreply" in headers:
        auto = "auto-generated (X-Autogenerated / X-AutoReply-From)"
    elif first("x-fc-machinegenerated").lower() == "true" or "x-cron-env" in headers:
        auto = "machine-generated (cron / X-FC-MachineGenerated)"
    elif subject.lower().startswith(("complaint about message from", "abuse report", "spam report")) and any(
        a.content_type == "message/rfc822" for a in walker.attachments
    ):
        auto = f"abuse complaint report: {subject}"
    elif amazon:
        auto = "Amazon SES/SNS notification"
    elif _list_robot(from_email, headers):
        auto = f"mailing list software message from {from_email}"
    else:
        mailer = (first("x-mailer") + " " + first("x-vacation")).lower()
        if any(word in mailer for word in ("vacation", "autoreply", "auto-reply", "auto-submitted", "autoresponder")):
            auto = f"vacation/auto-reply mailer: {first('x-mailer') or 'X-Vacation'}"
        elif subject.lower().startswith(_AUTO_SUBJECT_PREFIXES):
            auto = f"auto-reply subject: {subject}"
        elif ("list-id" in headers or "list-unsubscribe" in headers) and precedence:
            auto = f"mailing list (Precedence: {precedence})"
    return auto[:300], bounce


# ------------------------------------------------------------------------------------------ the entry
def _looks_binary(raw: bytes) -> str | None:
    if raw.startswith(TNEF_SIGNATURE):
        return "not an e-mail: raw TNEF (winmail.dat) data without MIME headers"
    head = raw[:4096]
    controls = sum(head.count(bytes([b])) for b in (*range(0, 9), 11, 12, *range(14, 27), *range(28, 32)))
    if b"\x00" in head or controls * 20 > len(head):
        return "not an e-mail: binary data without a header block"
    return None


def _header_map(message: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in message.raw_items():
        key = name.strip().lower()
        headers.setdefault(key, []).append(value if isinstance(value, str) else str(value))
    return headers


def _finish_body(segments: list[_Segment], defects: list[str]) -> tuple[str, str]:
    texts: list[str] = []
    htmls: list[str] = []
    for segment in segments:
        if segment.html is not None and segment.html.strip():
            htmls.append(segment.html)
        if segment.plain is not None and segment.plain.strip():
            texts.append(segment.plain)
        elif segment.html:
            html = segment.html
            if len(html) > MAX_HTML_CHARS:
                html = html[:MAX_HTML_CHARS]
            texts.append(html_to_text(html))
    text = "\n\n".join(t.replace("\r\n", "\n").replace("\r", "\n").strip("\n") for t in texts if t.strip())
    if len(text) > MAX_BODY_CHARS:
        text = text[:MAX_BODY_CHARS]
        defects.append(f"body text cut at {MAX_BODY_CHARS} characters")
    html = "\n".join(htmls)
    if len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]
        defects.append(f"HTML body cut at {MAX_HTML_CHARS} characters before sanitising")
    sanitized = ""
    if html:
        html = html.replace("\x00", "")
        if _html_too_complex(html):
            defects.append("HTML body too deeply nested to sanitise; dropped (text kept)")
        else:
            sanitized = _SANITIZER.clean(html).strip()
    return _scrub(text), sanitized


UTF8_BOM = b"\xef\xbb\xbf"  # a UTF-8 byte-order mark, which Windows editors put before what they save
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
HEADER_FIELD = re.compile(rb"[\x21-\x39\x3b-\x7e]+[ \t]*:")  # a header field's name and colon
_HEADER_START = re.compile(HEADER_FIELD.pattern + rb"|From ")  # or an mbox From_ line


def unwrap_raw(raw: bytes, defects: list[str] | None = None) -> bytes:
    """The message as the parser must see it, for what editors and pipes put around a saved one: a UTF-8
    byte-order mark (Windows editors), the whole file in UTF-16 (PowerShell's Out-File, Notepad's
    "Unicode"), blank lines or spaces before the first header (a pipe, a paste). The stdlib's parser
    sees no header at all behind any of them, and the message would lose its sender. The stored raw
    bytes stay as they came; this is what parse_message and the redacted raw copy read."""
    notes = defects if defects is not None else []
    if raw[:2] in _UTF16_BOMS or (len(raw) >= 8 and raw[1:8:2] == b"\0\0\0\0" and b"\0" not in raw[0:8:2]):
        try:
            text = raw.decode("utf-16" if raw[:2] in _UTF16_BOMS else "utf-16-le")
        except UnicodeDecodeError:
            pass
        else:
            if _HEADER_START.match(text.lstrip().encode("utf-8", "surrogateescape")[:1000]):
                raw = text.encode("utf-8", "surrogateescape")
                notes.append("the message was saved in UTF-16; read as UTF-8")
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM):]
        notes.append("byte-order mark before the headers ignored")
    if raw[:1] in (b"\r", b"\n", b" ", b"\t"):
        rest = raw.lstrip(b" \t\r\n")
        if _HEADER_START.match(rest):
            raw = rest
            notes.append("blank lines or spaces before the headers ignored")
    return raw


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw RFC 5322 bytes. Returns a ParsedMessage (with `defects` for anything that was wrong);
    raises UnparseableMessage only when the input is not a message at all."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    elif isinstance(raw, (bytearray, memoryview)):
        raw = bytes(raw)
    elif not isinstance(raw, bytes):
        raise UnparseableMessage(f"not bytes but {type(raw).__name__}")
    defects: list[str] = []
    raw = unwrap_raw(raw, defects)
    if not raw.strip():
        raise UnparseableMessage("empty message")

    root, complete = _parse_tree(raw, defects)
    headers = _header_map(root)
    if not headers:
        problem = _looks_binary(raw)
        if problem:
            raise UnparseableMessage(problem)
        defects.append("no header block; the whole input taken as the body")

    def first(name: str) -> str | None:
        values = headers.get(name)
        return values[0] if values else None

    _main, root_params = _parse_params(first("content-type"))
    hint = root_params.get("charset") or None
    if hint and (normalize_charset(hint) in (None, "utf-8") or hint.strip().lower() in ("us-ascii", "ascii")):
        hint = None

    # identity and threading
    ids = _message_ids(headers.get("message-id", [])[:1], hint)
    if ids:
        message_id, generated = ids[0], False
    else:
        message_id, generated = f"{hashlib.sha256(raw).hexdigest()[:32]}@generated.invalid", True
        defects.append("no Message-ID; generated one")
    in_reply_to = _message_ids(headers.get("in-reply-to", []), hint)
    references = _message_ids(headers.get("references", []), hint)

    senders = _addresses(headers.get("from", []), hint, defects)
    if senders:
        from_name, from_email = senders[0]
    else:
        from_name, from_email = "", ""
        if "from" in headers:
            defects.append("From has no usable address")
            from_name = _clean_line(decode_header_text(headers["from"][0], hint))[:200]
        else:
            defects.append("missing From")
    reply = _addresses(headers.get("reply-to", []), hint)
    to = _unique(a for _, a in _addresses(headers.get("to", []), hint, defects))
    cc = _unique(a for _, a in _addresses(headers.get("cc", []), hint, defects))
    envelope = _unique(
        a for name in ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to")
        for _, a in _addresses(headers.get(name, []), hint)
    )
    subject = _clean_line(decode_header_text(first("subject"), hint, defects))
    date = _parse_date(first("date"))
    if first("date") and date is None:
        defects.append("unparseable Date")

    # body and attachments
    walker = _Walker(raw, root, complete, defects, hint)
    segments: list[_Segment] = []
    try:
        walker.walk(root, 0, (), segments, root=True)
    except RecursionError:
        defects.append("MIME structure too deep to walk; partial result")
    if not complete and not segments:
        body = _raw_payload(root)
        if isinstance(body, str) and body.strip():
            text, _defect = decode_bytes(_to_bytes(body[:MAX_BODY_CHARS * 2]), hint)
            segments.append(_Segment(plain=text))
    has_body = any((s.plain and s.plain.strip()) or (s.html and s.html.strip()) for s in segments)
    if not has_body and walker.tnef_bodies:
        segments.extend(walker.tnef_bodies[:1])
        defects.append("body taken from the TNEF (winmail.dat) part")
    body_text, body_html = _finish_body(segments, defects)

    auto_reply_reason, bounce_reason = _classify(headers, walker, from_email, from_name, subject, body_text)
    if not from_email and not (auto_reply_reason or bounce_reason):
        # No usable From (required by RFC 5322, yet missing): someone still wrote, and a ticket beats a quarantine.
        # Sender, Reply-To, then the envelope's Return-Path; none is more trustworthy than a From would be.
        for name in ("sender", "reply-to", "return-path"):
            found = [pair for pair in _addresses(headers.get(name, [])[:1], hint) if "@" in pair[1]]
            if found:
                from_name, from_email = from_name or found[0][0], found[0][1]
                defects.append(f"sender taken from {name.title()} (no usable From)")
                break
    language = _clean_line(_raw_to_text(first("content-language") or (walker.languages[0] if walker.languages else "")))

    defects = _unique(_clean_line(d)[:200] for d in defects)
    if len(defects) > MAX_DEFECTS:
        defects = defects[:MAX_DEFECTS - 1] + [f"... and {len(defects) - MAX_DEFECTS + 1} more"]
    return ParsedMessage(
        message_id=_scrub(message_id),
        message_id_generated=generated,
        in_reply_to=in_reply_to,
        references=references,
        from_email=from_email,
        from_name=_clean_line(from_name)[:200],
        reply_to=reply[0][1] if reply else "",
        to=to,
        cc=cc,
        envelope_recipients=envelope,
        subject=subject,
        date=date,
        body_text=body_text,
        body_html=_scrub(body_html),
        attachments=walker.attachments,
        auto_reply_reason=_clean_line(auto_reply_reason),
        bounce_reason=_clean_line(bounce_reason),
        language=language[:64],
        defects=defects,
    )
