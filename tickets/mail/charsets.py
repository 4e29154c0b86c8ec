"""Charset labels as browsers read them (WHATWG Encoding Standard), and tolerant byte decoding.

Mail declares charsets the way 1990s software felt like it: "gb2312" that holds GBK/GB18030, "iso-8859-1"
that holds Windows-1252 smart quotes, "ks_c_5601-1987", "x-sjis", "unknown-8bit", "utf8"... Browsers settled
this long ago by mapping labels to supersets (https://encoding.spec.whatwg.org/#names-and-labels); we do
the same, and map to Python codec names. A few encodings browsers refuse (ISO-2022-KR, HZ, UTF-7) are still
decoded here: we are not a browser, the text is sanitised after decoding, and old mail really uses them.

Nothing in this module raises on bad input: `decode_bytes` always returns text, plus a short defect note
when it had to guess or replace.
"""
from __future__ import annotations

import codecs
import functools
import re

# Python codec name -> the labels that mean it. Built from the WHATWG label table, with the
# browser's superset mappings (gb2312 -> gb18030, big5 -> big5hkscs, latin-1/ascii -> windows-1252...).
_LABELS: dict[str, tuple[str, ...]] = {
    "utf-8": ("unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "utf-8", "utf8", "x-unicode20utf8", "utf-8-sig"),
    "cp866": ("866", "cp866", "csibm866", "ibm866"),
    "iso8859-2": ("csisolatin2", "iso-8859-2", "iso-ir-101", "iso8859-2", "iso88592", "iso_8859-2",
                  "iso_8859-2:1987", "l2", "latin2"),
    "iso8859-3": ("csisolatin3", "iso-8859-3", "iso-ir-109", "iso8859-3", "iso88593", "iso_8859-3",
                  "iso_8859-3:1988", "l3", "latin3"),
    "iso8859-4": ("csisolatin4", "iso-8859-4", "iso-ir-110", "iso8859-4", "iso88594", "iso_8859-4",
                  "iso_8859-4:1988", "l4", "latin4"),
    "iso8859-5": ("csisolatincyrillic", "cyrillic", "iso-8859-5", "iso-ir-144", "iso8859-5", "iso88595",
                  "iso_8859-5", "iso_8859-5:1988"),
    "iso8859-6": ("arabic", "asmo-708", "csiso88596e", "csiso88596i", "csisolatinarabic", "ecma-114",
                  "iso-8859-6", "iso-8859-6-e", "iso-8859-6-i", "iso-ir-127", "iso8859-6", "iso88596",
                  "iso_8859-6", "iso_8859-6:1987"),
    "iso8859-7": ("csisolatingreek", "ecma-118", "elot_928", "greek", "greek8", "iso-8859-7", "iso-ir-126",
                  "iso8859-7", "iso88597", "iso_8859-7", "iso_8859-7:1987", "sun_eu_greek"),
    "iso8859-8": ("csiso88598e", "csisolatinhebrew", "hebrew", "iso-8859-8", "iso-8859-8-e", "iso-ir-138",
                  "iso8859-8", "iso88598", "iso_8859-8", "iso_8859-8:1988", "visual",
                  "csiso88598i", "iso-8859-8-i", "logical"),
    "iso8859-10": ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6"),
    "iso8859-13": ("iso-8859-13", "iso8859-13", "iso885913"),
    "iso8859-14": ("iso-8859-14", "iso8859-14", "iso885914"),
    "iso8859-15": ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    "iso8859-16": ("iso-8859-16",),
    "koi8-r": ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r"),
    "koi8-u": ("koi8-ru", "koi8-u"),
    "mac-roman": ("csmacintosh", "mac", "macintosh", "x-mac-roman"),
    "cp874": ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    "cp1250": ("cp1250", "windows-1250", "x-cp1250"),
    "cp1251": ("cp1251", "windows-1251", "x-cp1251"),
    "cp1252": ("ansi_x3.4-1968", "ascii", "cp1252", "cp819", "csisolatin1", "ibm819", "iso-8859-1",
               "iso-ir-100", "iso8859-1", "iso88591", "iso_8859-1", "iso_8859-1:1987", "l1", "latin1",
               "us-ascii", "windows-1252", "x-cp1252", "latin-1", "us", "iso646-us", "csascii"),
    "cp1253": ("cp1253", "windows-1253", "x-cp1253"),
    "cp1254": ("cp1254", "csisolatin5", "iso-8859-9", "iso-ir-148", "iso8859-9", "iso88599", "iso_8859-9",
               "iso_8859-9:1989", "l5", "latin5", "windows-1254", "x-cp1254"),
    "cp1255": ("cp1255", "windows-1255", "x-cp1255"),
    "cp1256": ("cp1256", "windows-1256", "x-cp1256"),
    "cp1257": ("cp1257", "windows-1257", "x-cp1257"),
    "cp1258": ("cp1258", "windows-1258", "x-cp1258"),
    "mac-cyrillic": ("x-mac-cyrillic", "x-mac-ukrainian"),
    "gb18030": ("chinese", "csgb2312", "csiso58gb231280", "gb2312", "gb_2312", "gb_2312-80", "gbk", "iso-ir-58",
                "x-gbk", "gb18030", "cp936", "ms936", "windows-936", "euc-cn", "euccn", "x-euc-cn", "gb-2312"),
    "big5hkscs": ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5", "big5hkscs", "cp950", "x-big5"),
    "euc_jp": ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp", "eucjp", "x-euc"),
    "iso2022_jp": ("csiso2022jp", "iso-2022-jp", "iso2022jp", "jis"),
    "cp932": ("csshiftjis", "ms932", "ms_kanji", "shift-jis", "shift_jis", "sjis", "windows-31j", "x-sjis",
              "cp932", "x-ms-cp932", "shift_jisx0213"),
    "cp949": ("cseuckr", "csksc56011987", "euc-kr", "iso-ir-149", "korean", "ks_c_5601-1987", "ks_c_5601-1989",
              "ksc5601", "ksc_5601", "windows-949", "cp949", "ks_c_5601", "euckr", "uhc"),
    "utf-16-be": ("unicodefffe", "utf-16be"),
    "utf-16-le": ("csunicode", "iso-10646-ucs-2", "ucs-2", "unicode", "unicodefeff", "utf-16le"),
    "utf-16": ("utf-16",),
    # Not WHATWG (browsers map these to "replacement" or do not know them), but seen in real mail.
    "iso2022_kr": ("csiso2022kr", "iso-2022-kr"),
    "hz": ("hz-gb-2312",),
    "utf-7": ("utf-7", "unicode-1-1-utf-7", "csunicode11utf7"),
    "cp850": ("cp850", "ibm850", "850", "cspc850multilingual"),
    "cp437": ("cp437", "ibm437", "437", "cspc8codepage437"),
    "cp852": ("cp852", "ibm852", "852"),
}
LABELS: dict[str, str] = {label: codec for codec, labels in _LABELS.items() for label in labels}

# Python canonical codec names (codecs.lookup(...).name) that the browser mapping widens.
_WIDEN = {
    "ascii": "cp1252", "latin-1": "cp1252", "iso8859-1": "cp1252", "gb2312": "gb18030", "gbk": "gb18030",
    "big5": "big5hkscs", "cp950": "big5hkscs", "euc_kr": "cp949", "iso8859-9": "cp1254", "shift_jis": "cp932",
    "iso8859-11": "cp874", "tis-620": "cp874", "iso2022_jp": "iso2022_jp",
}
# Python codecs that are not charsets, or are unsafe/meaningless for mail text.
_REFUSED = {"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined", "mbcs", "oem",
            "rot-13", "palmos", "utf-32", "utf-32-be", "utf-32-le"}

SINGLE_BYTE_WHATWG = {"cp874", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
                      "cp1258"}
# When a codec fails strictly, these are tried (in order) before falling back to replacement characters.
_FALLBACKS = {
    "iso2022_jp": ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_3"),
    "euc_jp": ("euc_jis_2004", "cp932"),
    "cp932": ("shift_jis_2004",),
    "cp949": ("johab",),
}

_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _c1_fallback(exc: UnicodeDecodeError):
    """Error handler for the windows-125x codecs: the few undefined bytes become the C1 control at that
    code point, as the WHATWG single-byte decoders do (0x81 -> U+0081), instead of failing."""
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("support-desk-c1", _c1_fallback)


@functools.lru_cache(maxsize=512)
def normalize_charset(label: str | None) -> str | None:
    """Python codec name for a MIME charset label, or None when it is missing, unknown or bogus."""
    if not label:
        return None
    name = label.strip().strip("\"'").strip().lower()
    if not name or len(name) > 64:
        return None
    # RFC 2231 allows "utf-8*en" in encoded words; some senders add junk after a space or semicolon.
    name = name.split("*", 1)[0].split(";", 1)[0].strip()
    if not name:
        return None
    name = name.split()[0]
    codec = LABELS.get(name)
    if codec:
        return codec
    for candidate in (name.replace("_", "-"), name[2:] if name.startswith("x-") else "",
                      name.replace("-", "").replace("_", ""), name.replace("cp-", "cp").replace("windows", "windows-")):
        if candidate and candidate in LABELS:
            return LABELS[candidate]
    if name.startswith(("windows-", "win-", "cp", "ibm")) and name.rsplit("-", 1)[-1].lstrip("cpibm").isdigit():
        digits = name.rsplit("-", 1)[-1].lstrip("cpibm")
        if "cp" + digits in LABELS:
            return LABELS["cp" + digits]
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    canonical = info.name
    if canonical in _REFUSED:
        return None
    return _WIDEN.get(canonical, canonical)


def _looks_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sniff(data: bytes) -> tuple[str, str]:
    """(text, codec) for bytes whose charset we do not know: UTF-8 if it is valid, else Windows-1252."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", "support-desk-c1"), "windows-1252"


def sniff_header_bytes(data: bytes, hint: str | None = None) -> str:
    """Raw 8-bit header bytes (nothing declared): the message's own charset if it fits, else UTF-8 if valid,
    else GB18030 when the high bytes come in pairs (CJK double-byte text), else Windows-1252."""
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    codec = normalize_charset(hint) if hint else None
    if codec in SINGLE_BYTE_WHATWG:
        return data.decode(codec, "support-desk-c1")
    if codec and codec != "utf-8":
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    if _double_byte_runs(data):
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            pass
    return data.decode("cp1252", "support-desk-c1")


def _double_byte_runs(data: bytes) -> bool:
    """True when every run of high bytes has an even length (as in GBK/Big5/EUC text), and there is one."""
    run = 0
    runs = 0
    for byte in data:
        if byte >= 0x80:
            run += 1
        elif run:
            if run % 2:
                return False
            runs += 1
            run = 0
    if run:
        if run % 2:
            return False
        runs += 1
    return runs > 0


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode `data` declared as `charset` (None when undeclared). Returns (text, defect or None); never raises.

    - Labels map as browsers map them (gb2312 -> gb18030, iso-8859-1/us-ascii -> windows-1252...).
    - Unknown or bogus labels: UTF-8 if the bytes are valid UTF-8, else Windows-1252; a defect is returned.
    - Declared ASCII/Latin-1/Windows-1252 (or nothing) but the bytes are valid UTF-8 with multi-byte sequences:
      UTF-8 (mislabelled UTF-8 is far more common than Latin-1 text that happens to be valid UTF-8).
    - Declared UTF-8 but invalid: Windows-1252 when there is no UTF-8 sequence at all (it was never UTF-8),
      else UTF-8 with U+FFFD for the bad bytes.
    """
    if not data:
        return "", None
    if data.isascii() and (not charset or "16" not in charset and "7" not in charset and "2022" not in charset
                           and "hz" not in charset.lower()):
        # ASCII is a subset of every charset we map to except UTF-16/UTF-7/ISO-2022/HZ.
        return data.decode("ascii"), None
    if charset is None or not charset.strip():
        text, codec = _sniff(data)
        return text, (None if codec == "utf-8" else "undeclared 8-bit text decoded as windows-1252")
    codec = normalize_charset(charset)
    label = charset.strip().strip("\"'")[:40]
    if codec is None:
        text, used = _sniff(data)
        return text, f"unknown charset {label!r}, decoded as {used}"
    if codec == "cp1252":
        if _UTF8_MULTIBYTE.search(data) and _looks_utf8(data):
            return data.decode("utf-8"), None
        return data.decode("cp1252", "support-desk-c1"), None
    if codec in SINGLE_BYTE_WHATWG:
        return data.decode(codec, "support-desk-c1"), None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        text, used = _sniff(data)
        return text, f"unsupported charset {label!r}, decoded as {used}"
    else:
        if codec in ("utf-8", "utf-16", "utf-16-le", "utf-16-be") and text[:1] == "\ufeff":
            text = text[1:]
        return text, None
    if codec == "utf-8":
        if not _UTF8_MULTIBYTE.search(data):
            return data.decode("cp1252", "support-desk-c1"), "declared utf-8 but is not; decoded as windows-1252"
        return data.decode("utf-8", "replace"), "invalid utf-8 bytes replaced"
    if _UTF8_MULTIBYTE.search(data) and _looks_utf8(data):
        return data.decode("utf-8"), f"declared {label!r} but the content is utf-8"
    for fallback in _FALLBACKS.get(codec, ()):
        try:
            return data.decode(fallback), None
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(codec, "replace"), f"invalid bytes for charset {label!r} replaced"
