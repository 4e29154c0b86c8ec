"""Secret shield: find secrets a customer should never have sent and replace them by a marker.

`scan(text)` returns where the secrets are; `shield(text)` returns the text with each replaced by
its fixed English marker. Pure functions, no Django, no database: every inbound channel calls them
before anything is stored, logged or shown.

What it looks for, and the evidence it wants before it calls something a secret:
- seed phrases (BIP-39, English and Chinese word lists): a checksum-valid 12-24 word window, or 12+
  English / separated Chinese words in a row, or 6+ with seed words ("seed phrase", "助记词") nearby;
  an unseparated run of Chinese characters only with a valid checksum over the whole run and a seed
  word right before it (ordinary Chinese is made of the same common characters);
- private keys: PEM blocks, keystore JSON, WIF and xprv-family keys (base58check verified), and
  64-hex / long base58 values only after "private key", "私钥" and the like (a bare 64-hex is a TXID);
- API keys / secrets, one-time codes and passwords: only right after their cue word, and never after
  the cues' innocent neighbours ("error code", "invite code", "reset password");
- card numbers: 13-19 digits in single-space/dash groups with a known IIN, its length and Luhn.

Work is linear in the text: every regex is free of nested unbounded repetition, the BIP-39 checksum
is only tried on runs of 12-48 words, and look-arounds are bounded windows. A text with findings is
scanned once more with the markers in place (at most three more times), so shielding is idempotent
(for texts up to 100,000 characters; past that one pass, and a shift in context distance may be missed).
Not handled: secrets in images, an API key or private key with no label before it (indistinguishable
from an address or a TXID), a seed phrase split over several messages.
"""
from __future__ import annotations

import bisect
import enum
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

import base58
from mnemonic import Mnemonic


class Kind(enum.StrEnum):
    SEED_PHRASE = "seed_phrase"
    PRIVATE_KEY = "private_key"
    API_KEY = "api_key"
    OTP_CODE = "otp_code"
    PASSWORD = "password"
    CARD_NUMBER = "card_number"


# Plain str kinds for the hot paths (an enum member's .value is a descriptor call).
_SEED = Kind.SEED_PHRASE.value
_PK = Kind.PRIVATE_KEY.value
_API_KEY = Kind.API_KEY.value
_OTP = Kind.OTP_CODE.value
_PASSWORD = Kind.PASSWORD.value
_CARD = Kind.CARD_NUMBER.value

MARKERS: dict[str, str] = {
    _SEED: "[seed phrase removed]",
    _PK: "[private key removed]",
    _API_KEY: "[API key removed]",
    _OTP: "[one-time code removed]",
    _PASSWORD: "[password removed]",
    _CARD: "[card number removed]",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Shielded:
    text: str
    findings: tuple[Finding, ...]

    @property
    def kinds(self) -> list[str]:
        return list(dict.fromkeys(f.kind for f in self.findings))


# Past this length (a pasted log, not a message) one pass only: the rescan would double the work.
_RESCAN_MAX = 100_000
# Overlapping candidates: the lower rank wins (stronger evidence), then the longer span.
_RANK = {
    _PK: 0,
    _SEED: 1,
    _API_KEY: 2,
    _CARD: 3,
    _PASSWORD: 4,
    _OTP: 5,
}

_MARKER_RE = re.compile("|".join(re.escape(m) for m in MARKERS.values()))
_D = "0-9\uff10-\uff19"  # ASCII and full-width digits (Chinese input methods)
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# --------------------------------------------------------------------------- word lists
@lru_cache(maxsize=1)
def _lists():
    en = Mnemonic("english").wordlist
    zs = Mnemonic("chinese_simplified").wordlist
    zt = Mnemonic("chinese_traditional").wordlist
    en_index = {w: i for i, w in enumerate(en)}
    prefix4 = {w[:4]: i for i, w in enumerate(en) if len(w) >= 4}
    zs_index = {w: i for i, w in enumerate(zs)}
    zt_index = {w: i for i, w in enumerate(zt)}
    chars = "".join(sorted(set(zs) | set(zt)))
    zh_class = "[" + re.escape(chars) + "]"
    # Single characters separated by spaces, commas, 、 or numbering ("1.的 2.一").
    zh_separated = re.compile(
        rf"{zh_class}(?<![{_CJK}].)(?:[\s,，、;；|/.。:：)）(（\-_0-9]{{1,8}}{zh_class}(?![{_CJK}])){{5,}}"
    )
    zh_run = re.compile(zh_class + "{12,}")
    return en_index, prefix4, zs_index, zt_index, zh_separated, zh_run


def _checksum_ok(indices: list[int]) -> bool:
    n = len(indices)
    if n not in (12, 15, 18, 21, 24):
        return False
    bits = 0
    for i in indices:
        bits = (bits << 11) | i
    cs_len = n * 11 // 33
    entropy = (bits >> cs_len).to_bytes(cs_len * 4, "big")
    return hashlib.sha256(entropy).digest()[0] >> (8 - cs_len) == bits & ((1 << cs_len) - 1)


def _valid_windows(indices: list[int | None]) -> list[tuple[int, int]]:
    """Non-overlapping (i, j) windows of 12-24 words with a valid checksum, longest first."""
    found: list[tuple[int, int]] = []
    for length in (24, 21, 18, 15, 12):
        for i in range(0, len(indices) - length + 1):
            window = indices[i:i + length]
            if None in window or any(a < i + length and i < b for a, b in found):
                continue
            if _checksum_ok(window):  # type: ignore[arg-type]
                found.append((i, i + length))
    return sorted(found)


# --------------------------------------------------------------------------- cue words
_SEED_CUE = re.compile(
    r"seed|mnemonic|recovery\s*(?:phrase|words?|key)|secret\s*(?:recovery\s*)?phrase|backup\s*(?:phrase|words?)"
    r"|(?:12|15|18|24)[\s-]*words?|wallet\s*words|phrase"
    r"|助记词|助记|种子|恢复短语|恢复词|备份词|私钥|私鑰|助記詞|注记词",
)
# Seed-cue words that are themselves BIP-39 words: trimmed off the ends of an unverified run.
_RUN_TRIM = {"seed", "phrase", "secret", "private", "key", "word", "code", "recovery", "wallet", "is", "my"}
# Between two words of a written-down phrase: spaces, commas, numbering "1." "2)" "#3".
_EN_GAP = re.compile(r"[\s,，、;；|/.:：)\]（）(\[#\-_*]{0,6}(?:[0-9]{1,2}[\s,，、;；|/.:：)\]（）(\[#\-_*]{0,6})?")
_EN_WORD_LOW = re.compile(r"[a-z]+")
_RUN6 = re.compile(b"\x01{6,}")
_RUN12 = re.compile(b"\x01{12,}")
_SEED_GATE = ("seed", "mnemonic", "phrase", "recovery", "backup", "words", "助记", "助記", "种子", "恢复", "备份", "私钥",
              "私鑰", "注记")
_ZH_STRONG_GATE = ("助记", "助記", "种子", "恢复短语", "mnemonic", "seed", "Seed", "SEED", "Mnemonic")
_ZH_STRONG_CUE = re.compile(r"(?:助记词|助記詞|助记|种子词|种子短语|恢复短语|mnemonic|seed\s*phrase|seed)"
                            r"[\s:：是为為如下\-]{0,6}")


def _near(cues: list[tuple[int, int]], start: int, end: int, before: int, after: int) -> bool:
    i = bisect.bisect_left(cues, (start - before, 0))
    return i < len(cues) and cues[i][0] <= end + after


def _seed_english(text: str, low: str, seed_cues, out: list) -> None:
    en_index, prefix4, *_ = _lists()
    # Cheap pre-pass over the words alone: most messages have no run worth a closer look.
    words = _EN_WORD_LOW.findall(low)
    exact = bytes(map(en_index.__contains__, words))
    cues = seed_cues()
    if cues:  # near a seed word, 6 list words in a row (a misspelt one allowed by its first four letters) will do
        loose = bytes(w in en_index or 4 <= len(w) <= 10 and w[:4] in prefix4 for w in words)
        ranges = [m.span() for m in _RUN6.finditer(loose)]
    else:
        ranges = [m.span() for m in _RUN12.finditer(exact)]
    if not ranges:
        return
    run: list[tuple[int, int, int | None]] = []  # (start, end, index or None when only the prefix matches)
    prev_end = -1

    def flush():
        if len(run) >= 6:
            _judge_english_run(low, run, cues, out)
        run.clear()

    # The close look (offsets, separators between words) only over the word ranges the pre-pass kept.
    r = 0
    first, stop = ranges[0]
    for k, m in enumerate(_EN_WORD_LOW.finditer(low)):
        if k >= stop:
            flush()
            r += 1
            if r == len(ranges):
                break
            first, stop = ranges[r]
        if k < first:
            continue
        s, e = m.span()
        if run and not _EN_GAP.fullmatch(low, prev_end, s):
            flush()
        run.append((s, e, en_index.get(m.group())))
        prev_end = e
    flush()


def _judge_english_run(text, run, seed_cues, out) -> None:
    span_start, span_end = run[0][0], run[-1][1]
    context = _near(seed_cues, span_start, span_end, 300, 300)
    taken: list[tuple[int, int]] = []
    # Exact-word stretches of 12-48 words: a checksum-valid window is a seed whatever surrounds it.
    i = 0
    while i < len(run):
        if run[i][2] is None:
            i += 1
            continue
        j = i
        while j < len(run) and run[j][2] is not None:
            j += 1
        if 12 <= j - i <= 48:
            for a, b in _valid_windows([w[2] for w in run[i:j]]):
                taken.append((i + a, i + b))
        elif j - i > 48:
            taken.append((i, j))  # far longer than any seed and all list words: not prose either
        i = j
    for a, b in taken:
        out.append((run[a][0], run[b - 1][1], _SEED))
    if taken:
        return
    # No checksum: trim cue words at the ends, then 12+ exact words, or 6+ words near a seed cue.
    lo, hi = 0, len(run)
    while lo < hi and text[run[lo][0]:run[lo][1]].lower() in _RUN_TRIM:
        lo += 1
    while hi > lo and text[run[hi - 1][0]:run[hi - 1][1]].lower() in _RUN_TRIM:
        hi -= 1
    members = run[lo:hi]
    exact = sum(1 for w in members if w[2] is not None)
    longest_exact = best = 0
    for w in members:
        best = best + 1 if w[2] is not None else 0
        longest_exact = max(longest_exact, best)
    if longest_exact >= 12 or (context and len(members) >= 6 and exact >= len(members) - 2 and exact >= 5):
        out.append((members[0][0], members[-1][1], _SEED))


def _zh_indices(chars: str) -> list[list[int | None]]:
    _, _, zs, zt, *_ = _lists()
    return [[zs.get(c) for c in chars], [zt.get(c) for c in chars]]


def _seed_chinese(text: str, seed_cues, out: list) -> None:
    *_, zh_separated, zh_run = _lists()
    for m in zh_separated.finditer(text):
        positions = [m.start() + k for k, c in enumerate(m.group()) if "\u3400" <= c]
        chars = "".join(text[p] for p in positions)
        windows: list[tuple[int, int]] = []
        if 12 <= len(chars) <= 48:
            for indices in _zh_indices(chars):
                windows = _valid_windows(indices)
                if windows:
                    break
        if windows:
            for a, b in windows:
                out.append((positions[a], positions[b - 1] + 1, _SEED))
        elif len(chars) >= 12 or _near(seed_cues(), m.start(), m.end(), 300, 300):
            out.append((m.start(), m.end(), _SEED))
    if not any(k in text for k in _ZH_STRONG_GATE):
        return  # an unseparated run is only a seed right after a seed word
    for m in zh_run.finditer(text):
        starts = []
        cue_before = _ZH_STRONG_CUE.search(text, max(0, m.start() - 14), m.start())
        if cue_before and cue_before.end() >= m.start() - 2:
            starts.append(m.start())
        starts += [c.end() for c in _ZH_STRONG_CUE.finditer(text, m.start(), m.end())]
        for s in starts:
            chars = text[s:m.end()]
            if len(chars) in (12, 15, 18, 21, 24) and any(
                None not in ix and _checksum_ok(ix) for ix in _zh_indices(chars)  # type: ignore[arg-type]
            ):
                out.append((s, m.end(), _SEED))
                break


# --------------------------------------------------------------------------- private keys
_PEM = re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |ED25519 )?PRIVATE KEY(?: BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]{0,30}PRIVATE KEY(?: BLOCK)?-----")
_PEM_BODY = re.compile(r"[\sA-Za-z0-9+/=:,\-]{0,20000}")
# One pass finds every long alphanumeric token; each is then classified (WIF, xprv, 64-hex, long base58).
_LONG_TOKEN = re.compile(r"[0-9A-Za-z]{32,}")
_B58_SET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
_HEX_SET = frozenset("0123456789abcdefABCDEF")
_KEYSTORE = re.compile(r'"ciphertext"\s*:\s*"[0-9a-fA-F]{32,}"')
_HEX64 = re.compile(r"(?:0[xX])?[0-9a-fA-F]{64}")
# Which thing a long hex/base58 value is, from the nearest label before it (matched on the lower-cased text).
_LABEL = re.compile(
    r"(?P<api>api[\s_-]*(?:key|secret)|secret[\s_-]*key|apikey|access[\s_-]*key|passphrase|api\s*密钥|api\s*秘钥)"
    r"|(?P<pk>priv(?:ate)?[\s_-]*key|privkey|wallet\s*(?:secret|key)|secret|私钥|私鑰|密钥|秘钥|prv\s*key)"
    r"|(?P<tx>tx|txn|transaction|hash|哈希|交易|区块|block|链上|deposit|withdraw|address|地址|充值|提现|提币|signature|签名)"
)


def _label_before(low: str, pos: int, window: int = 80) -> str | None:
    last = None
    for last in _LABEL.finditer(low, max(0, pos - window), pos):
        pass
    return last.lastgroup if last else None


def _b58check(s: str) -> bytes | None:
    try:
        return base58.b58decode_check(s)
    except ValueError:
        return None


def _private_keys(text: str, low: str, out: list) -> None:
    if "-----begin" in low:
        for m in _PEM.finditer(text):
            end = _PEM_END.search(text, m.end(), m.end() + 20000)
            stop = end.end() if end else _PEM_BODY.match(text, m.end()).end()
            out.append((m.start(), stop, _PK))
    if '"ciphertext"' in low:
        for m in _KEYSTORE.finditer(text):
            out.append((m.start(), m.end(), _PK))
    for m in () if _no_long_token(text) else _LONG_TOKEN.finditer(text):
        token = m.group()
        n = len(token)
        kind = None
        if n in (51, 52) and token[0] in "5KLc9" and _B58_SET.issuperset(token):
            raw = _b58check(token)
            if raw and raw[0] in (0x80, 0xEF) and (len(raw) == 33 or (len(raw) == 34 and raw[-1] == 1)):
                kind = _PK
        elif 104 <= n <= 115 and token[1:4] == "prv" and token[0] in "xyztuvXYZUV" and _B58_SET.issuperset(token):
            raw = _b58check(token)
            if raw and len(raw) == 78:
                kind = _PK
        if kind is None and (
            n == 64 and _HEX_SET.issuperset(token)
            or n == 66 and token[:2] in ("0x", "0X") and _HEX_SET.issuperset(token[2:])
            or 80 <= n <= 90 and _B58_SET.issuperset(token)
        ):
            label = _label_before(low, m.start())  # a bare 64-hex or base58 signature is a TXID: label decides
            kind = {"pk": _PK, "api": _API_KEY}.get(label or "")
        if kind:
            out.append((m.start(), m.end(), kind))


# --------------------------------------------------------------------------- API keys
_TOKEN = r"[A-Za-z0-9\-_=+/]{16,512}"
# Matched on the lower-cased text; the value is then read from the original (its case matters).
_API = re.compile(
    r"(?P<cue>api[\s_-]*(?:key|secret|密钥|秘钥)|apikey|apisecret|secret[\s_-]*key|secretkey|access[\s_-]*key"
    r"|accesskey|passphrase|key|secret|token|access[\s_-]*token|api)"
    r"(?:\s*(?:and|&|/|和|与)\s*(?:secret|密钥|key))?"
    r"(?P<gap>[\s\"'“”`]*(?:(?:is|was|are|是|为|為|:|：|=|->|→|\()[\s\"'“”`]*){0,2})"
    rf"(?P<val>{_TOKEN})"
)
_API_NEXT = re.compile(r"[\s,，;；/\"'“”`]{1,6}(?:(?:secret|key|密钥|secret\s*key|passphrase)\s*[:：=]?\s*)?"
                       rf"(?P<val>{_TOKEN})")
_API_GATE = ("key", "secret", "token", "api", "passphrase", "密钥", "秘钥")
_GENERIC_CUES = {"key", "secret", "token", "api"}


def _looks_random(value: str, strict: bool) -> bool:
    digits = sum(c.isdigit() for c in value)
    upper = sum(c.isupper() for c in value)
    lower = sum(c.islower() for c in value)
    if strict:
        return digits >= 2 and (upper + lower) >= 2 or (upper >= 2 and lower >= 2 and len(value) >= 20)
    return digits >= 1 or (upper >= 1 and lower >= 1)


def _api_keys(text: str, low: str, out: list) -> None:
    if not any(k in low for k in _API_GATE):
        return
    for m in _API.finditer(low):
        if m.start() and "a" <= low[m.start() - 1] <= "z":
            continue  # "monkey", "turnkey"
        cue = m.group("cue")
        generic = cue in _GENERIC_CUES
        # "key"/"secret"/"token" alone only as a labelled pair ("key=...", "secret: ..."), with a random-looking value.
        if generic and not re.search(r"[:：=]", m.group("gap")):
            continue
        value = text[m.start("val"):m.end("val")]
        if not _looks_random(value, strict=generic) or generic and cue != "secret" and _HEX64.fullmatch(value):
            continue
        out.append((m.start("val"), m.end("val"), _API_KEY))
        pos = m.end()
        for _ in range(4):
            nxt = _API_NEXT.match(low, pos)
            if not nxt or not _looks_random(text[nxt.start("val"):nxt.end("val")], strict=True):
                break
            out.append((nxt.start("val"), nxt.end("val"), _API_KEY))
            pos = nxt.end()


# --------------------------------------------------------------------------- one-time codes
# Cue words, matched on the lower-cased text; what precedes "code" decides whether it is a one-time code.
_OTP_KEY = re.compile(
    r"code|2fa|otp|sms|passcode|authenticator|one[\s-]*time[\s-]*(?:code|password|passcode|pin)"
    r"|验证码|驗證碼|动态码|動態碼|动态口令|谷歌验证|谷歌驗證|短信码|安全码|校验码|确认码|令牌|认证码"
)
_PREV_WORD = re.compile(r"([a-z0-9]+)[\s\-_]*$")
_CODE_NOT = {
    "error", "status", "http", "response", "promo", "promotion", "referral", "refer", "invite", "invitation",
    "discount", "coupon", "voucher", "country", "area", "zip", "postal", "post", "reference", "ref", "swift", "bank",
    "branch", "sort", "phishing", "antiphishing", "tracking", "product", "tax", "reward", "gift", "bonus", "campaign",
    "source", "qr", "redeem", "redemption", "affiliate", "dial", "exit", "return", "reason", "fault", "result",
    "event", "currency", "network", "chain", "asset", "coin", "token", "memo", "tag", "bar", "barcode", "zipcode",
    "color", "colour", "region", "language", "iso", "bic", "routing", "ifsc", "sic", "hs", "area", "agent",
}
_CODE_STRONG = {
    "verification", "verify", "sms", "email", "security", "2fa", "otp", "auth", "authentication", "authenticator",
    "google", "ga", "confirmation", "login", "text", "time", "digit", "6", "factor", "withdrawal", "mfa", "totp",
    "one", "access", "signin", "sign", "phone", "mobile", "secret", "temporary",
}
_OTP_VALUE = re.compile(rf"[{_D}](?<![{_D}A-Za-z.,:/\-#+$¥￥*][{_D}])(?:[{_D}]{{2,3}}[ \-][{_D}]{{2,4}}|[{_D}]{{3,7}})"
                        rf"(?![{_D}A-Za-z%]|[.,:/\-][{_D}])")
_OTP_GAP_WORD = re.compile(r"[a-z']+|[\u4e00-\u9fff]")
_OTP_FILLER = {
    "is", "was", "are", "it", "it's", "its", "here", "below", "number", "no", "sent", "send", "received", "receive",
    "got", "get", "i", "me", "you", "my", "the", "a", "from", "email", "sms", "phone", "today", "now", "just",
    "code", "codes", "your", "app", "shows", "showing", "says", "reads", "current", "latest", "new", "this",
    "that", "of", "on", "in", "one", "which", "as", "for", "login", "to", "be", "should", "authenticator",
    "google", "via", "by", "text", "message", "and", "please", "use", "entered", "enter", "typed", "try", "tried",
    "gave", "give", "mobile", "yesterday", "earlier", "again", "currently", "displayed", "displays", "verification",
    "是", "为", "為", "的", "我", "收", "到", "发", "來", "来", "短", "信", "刚", "才", "了", "下", "如", "给", "你",
    "们", "邮", "件", "箱", "手", "机", "显", "示", "现", "在", "输", "入", "个", "这", "那", "次", "号", "码",
}
_OTP_BAD_AFTER = re.compile(
    rf"\s*(?:[{_D}\x00]|usdt|usdc|usd|btc|eth|cny|rmb|eur|元|块|%|个|次|天|日|月|年|分|秒|小时|笔|张|"
    r"minutes?|mins?|seconds?|secs?|hours?|days?|times?|years?|attempts?|tries|items?|pcs)"
)
_OTP_CHAIN = re.compile(rf"\s*(?:,|，|、|/|and|和|or|或|then|然后|再)\s*(?:[a-z\s]{{0,20}}code\s*[:：]?\s*)?"
                        rf"(?P<val>[{_D}]{{4,8}})(?![{_D}A-Za-z%]|[.,:/\-][{_D}])")
_OTP_VALUE_FIRST = re.compile(
    rf"(?P<val>[{_D}](?<![{_D}A-Za-z.,:/\-#+$¥￥*][{_D}])[{_D}]{{3,7}})\s*(?:is|was|是|为|為|\(|（)\s*(?:the|my|your|我的)?\s*"
    r"(?:2fa|otp|sms|verification|google|one[\s-]*time|authenticator|验证码|动态码|谷歌验证码|短信验证码|短信码)"
)
_OTP_GATE = ("code", "2fa", "otp", "sms", "passcode", "authenticator", "time", "验证", "驗證", "动态", "動態", "谷歌",
             "短信", "安全码", "校验码", "确认码", "令牌", "认证码")
_SENTENCE_END = re.compile(r"[\n.!?。！？;；]")
_COLON_GAP = re.compile(r"[\s:：.]*")
_ERRORISH = re.compile(r"error|fail|failed|http|status|错误|失败|报错|故障")
_CONNECTOR = re.compile(r"[:：=]|\bis\b|是")


# Literal parts one of which a match of each pattern must contain: without any, its scan (over a long
# attachment full of digits, most of the shield's time) cannot find anything and is skipped.
_OTP_KEY_ANCHORS = ("code", "2fa", "otp", "sms", "authenticator", "one", "验证码", "驗證碼", "动态码", "動態碼", "动态口令",
                    "谷歌验证", "谷歌驗證", "短信码", "安全码", "校验码", "确认码", "令牌", "认证码")
_OTP_VALUE_FIRST_ANCHORS = ("2fa", "otp", "sms", "verification", "google", "one", "authenticator", "验证码", "动态码",
                            "短信码")


def _otp_codes(text: str, low: str, out: list) -> None:
    if not any(k in low for k in _OTP_GATE):
        return
    cues = _OTP_KEY.finditer(low) if any(k in low for k in _OTP_KEY_ANCHORS) else ()
    for cue in cues:
        start, end, word = cue.start(), cue.end(), cue.group()
        if start and "a" <= low[start - 1] <= "z" or end < len(low) and "a" <= low[end] <= "z":
            continue  # "decode", "codes" is fine below, "barcode", "smsc"
        weak = word in ("code", "sms")
        if word == "code":
            prev = _PREV_WORD.search(low, max(0, start - 30), start)
            prev_word = prev.group(1) if prev else ""
            if prev_word in _CODE_NOT:
                continue
            weak = prev_word not in _CODE_STRONG
        v = _OTP_VALUE.search(low, end, min(len(low), end + 40))
        if not v:
            continue
        gap = low[end:v.start()]
        if _SENTENCE_END.search(gap) and not _COLON_GAP.fullmatch(gap):
            continue
        if any(w not in _OTP_FILLER for w in _OTP_GAP_WORD.findall(gap)):
            continue
        if _OTP_BAD_AFTER.match(low, v.end()):
            continue
        digits = "".join(filter(str.isdigit, v.group()))
        if weak:
            if len(digits) != 6 and not _CONNECTOR.search(gap):
                continue
            if _ERRORISH.search(low, max(0, start - 60), min(len(low), v.end() + 40)):
                continue
        if len(digits) == 4 and digits[:2] in ("19", "20") and not _CONNECTOR.search(gap):  # a year
            continue
        out.append((v.start(), v.end(), _OTP))
        pos = v.end()
        for _ in range(4):
            nxt = _OTP_CHAIN.match(low, pos)
            if not nxt or _OTP_BAD_AFTER.match(low, nxt.end()):
                break
            out.append((nxt.start("val"), nxt.end("val"), _OTP))
            pos = nxt.end()
    # "483920 is my 2FA code" / "483920是验证码"
    if not any(k in low for k in _OTP_VALUE_FIRST_ANCHORS):
        return
    for m in _OTP_VALUE_FIRST.finditer(low):
        out.append((m.start("val"), m.end("val"), _OTP))


# --------------------------------------------------------------------------- passwords
# Matched on the lower-cased text; the value is then read from the original.
_PW = re.compile(
    r"(?P<cue>password|passwd|passcode|pwd|pw|pass|pin|密码|密碼|口令)"
    r"(?P<gap>[\s\"'“”`]*(?:(?:(?<![a-z])(?:is|was|now|still|currently|actually|just)(?![a-z])"
    r"|=|:|->|→|-|是|为|為|：|改成|改为|设为|设置为|应该是|就是)[\s\"'“”`]*){0,2})"
    r"(?P<val>[^\s\x00\"'“”`，。、；：！？,;（）()<>\[\]{}【】《》\u3400-\u9fff]{4,128})"
)
_PW_STRONG = re.compile(r"[:=：]|是|为|為|改成|改为|设为|设置为|应该是|就是")
_PW_WEAK = re.compile(r"\b(?:is|was|now)\b|-|→")
_ONE_TIME_BEFORE = re.compile(r"one[\s-]*time[\s-]*$")
_PW_GATE = ("pass", "pw", "pin", "密码", "密碼", "口令")
_PW_NOT = {
    "reset", "change", "changed", "changing", "recovery", "recover", "forgot", "forgotten", "manager", "field", "page",
    "link", "email", "mail", "please", "didn't", "doesn't", "does", "don't", "isn't", "wasn't", "wrong", "incorrect",
    "correct", "invalid", "expired", "locked", "right", "same", "still", "always", "never", "being", "too", "very",
    "fine", "okay", "again", "strength", "requirements", "rules", "policy", "update", "updated", "setting", "settings",
    "protected", "required", "needed", "working", "work", "works", "accepted", "rejected", "blank", "empty", "sent",
    "login", "through", "because", "when", "with", "that", "this", "there", "their", "then", "from", "into", "also",
    "only", "just", "safe", "secure", "strong", "weak", "long", "short", "case", "sensitive", "known", "mine",
    "hint", "hints", "box", "form", "input", "prompt", "screen", "error", "option", "button", "wasnt", "isnt",
    "cannot", "can't", "will", "would", "should", "could", "have", "has", "had", "must", "needs", "without",
    "protect", "protection", "encrypted", "stored", "saved", "save", "copy", "twice", "match", "matches", "mismatch",
    "null", "none", "****", "******", "length", "characters", "digits",
}


def _password_like(value: str) -> bool:
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_digit or has_symbol or mixed


def _passwords(text: str, low: str, out: list) -> None:
    if not any(k in low for k in _PW_GATE):
        return
    for m in _PW.finditer(low):
        cue = m.group("cue")
        s = m.start()
        if cue.isascii() and (s and "a" <= low[s - 1] <= "z" or low[s + len(cue):s + len(cue) + 1].isalpha()):
            continue  # "compass", "passport", "spin", "pine"
        if _ONE_TIME_BEFORE.search(low, max(0, s - 12), s):
            continue  # a one-time password is a one-time code
        value = text[m.start("val"):m.end("val")]
        trimmed = value.rstrip(".,;:)]'\"")  # sentence punctuation; "!" and "?" stay part of it ("Hunter2!")
        value = trimmed if len(trimmed) >= 4 else value
        core = value.rstrip("!?")
        if core.lower() in _PW_NOT or len(core) < 4 or set(core) <= set("*•●xX#"):
            continue
        gap = m.group("gap")
        strong = bool(_PW_STRONG.search(gap))
        weak = bool(_PW_WEAK.search(gap))
        if cue in ("pass", "pw", "pin") and not strong and not (cue == "pin" and weak):
            continue
        if cue == "pin" and not core.isdigit():
            continue
        if strong:
            pass  # "password: sunshine" is a password whatever it looks like
        elif weak:
            if not (_password_like(core) or re.search(r"[\"'“”`]", gap)):
                continue
        elif not any(c.isdigit() for c in core):
            continue
        out.append((m.start("val"), m.start("val") + len(value), _PASSWORD))


# --------------------------------------------------------------------------- card numbers
_CARD_RUN = re.compile(
    rf"[{_D}](?<![{_D}A-Za-z.,+\-/#_*][{_D}])[{_D}]{{0,18}}(?:[ \-][{_D}]{{1,19}}){{0,7}}(?![{_D}A-Za-z_]|[.,/:][{_D}])"
)
_CARD_ID_CUE = re.compile(
    r"(?:order|订单|單號|单号|流水|uid|user\s*id|id|txid|tx|ref|reference|account\s*(?:no|number|#)|acct|iban"
    r"|phone|tel|mobile|手机|电话|交易号|编号|工单|ticket|case|invoice|wechat|微信|qq|memo|tag|备注|标签)"
    r"[\s#:：.号是为]{0,6}$",
)
_IBAN = re.compile(r"\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]{4}){3,8}(?:[ ]?[A-Z0-9]{1,3})?\b")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _iin_ok(d: str) -> bool:
    n = len(d)
    p2, p3, p4 = int(d[:2]), int(d[:3]), int(d[:4])
    if d[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if p2 == 62:
        return 16 <= n <= 19
    if 3528 <= p4 <= 3589:
        return 16 <= n <= 19
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649:
        return 16 <= n <= 19
    if 300 <= p3 <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19
    if 2200 <= p4 <= 2204:
        return 16 <= n <= 19
    if p4 in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763):
        return 13 <= n <= 19
    return False


# A stretch of digits and separators long enough to hold a card number, from its first digit to its end.
# A card run lies inside one; _CARD_RUN is tried only in those with 13 digits (its own scan restarts at
# every digit, which was most of the shield's time on a digit-heavy attachment such as a trade history).
_CARD_SPAN = re.compile(rf"[{_D}][{_D} \-]{{12,}}")


# Gates for long ASCII texts (a trade history, a log): a byte table and a substring search, both in C, tell
# that no stretch of digits and separators holds 13 digits (no card number can be there) or that no 32
# letters and digits stand in a row (no long token): the regex passes they spare take milliseconds on such a
# text, mostly on the match objects of dates and amounts.
_GATE_MIN = 4096
_DIGIT_GATE = bytes(0x64 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))  # digits -> d, the rest -> x
_ALNUM_GATE = bytes(0x61 if b < 0x80 and chr(b).isalnum() else 0x78 for b in range(256))  # [0-9A-Za-z] -> a


def _no_card_stretch(text: str) -> bool:
    """True when no stretch of digits, spaces and hyphens in the (long, ASCII) text holds 13 digits: with the
    separators deleted, such a stretch is a row of 13 digits."""
    return len(text) >= _GATE_MIN and text.isascii() and b"d" * 13 not in text.encode("ascii").translate(_DIGIT_GATE, b" -")


def _no_long_token(text: str) -> bool:
    """True when the (long, ASCII) text has no 32 ASCII letters and digits in a row (_LONG_TOKEN)."""
    return len(text) >= _GATE_MIN and text.isascii() and b"a" * 32 not in text.encode("ascii").translate(_ALNUM_GATE)


def _cards(text: str, low: str, out: list) -> None:
    if _no_card_stretch(text):
        return
    ibans: list[list[tuple[int, int]]] = []  # the text's IBAN spans, found once when first needed
    for span in _CARD_SPAN.finditer(text):
        run = span.group()
        if len(run) - run.count(" ") - run.count("-") >= 13:
            # up to two characters past the stretch: what _CARD_RUN's look-ahead reads (its look-behind
            # reads before the start on its own)
            _cards_in(text, low, out, span.start(), min(len(text), span.end() + 2), ibans)


def _cards_in(text: str, low: str, out: list, pos: int, endpos: int, ibans: list[list[tuple[int, int]]]) -> None:
    for m in _CARD_RUN.finditer(text, pos, endpos):
        raw = m.group()
        if len(raw) - raw.count(" ") - raw.count("-") < 13:  # digits only: a separator is one character
            continue
        groups = re.split(r"[ \-]", raw)
        digits = "".join(str(int(c)) for c in "".join(groups))  # full-width digits to ASCII
        cuts = [0]
        for g in groups:
            cuts.append(cuts[-1] + len(g))
        # A card number starts or ends the run (a run is at most 8 groups): "4111 1111 1111 1111 2027" has a year after.
        best = None
        windows = [(0, j) for j in range(1, len(groups) + 1)] + [(i, len(groups)) for i in range(1, len(groups))]
        for i, j in windows:
            length = cuts[j] - cuts[i]
            if 13 <= length <= 19 and (best is None or length > best[2]):
                number = digits[cuts[i]:cuts[j]]
                if _iin_ok(number) and _luhn(number):
                    best = (i, j, length)
        if not best:
            continue
        if _CARD_ID_CUE.search(low, max(0, m.start() - 24), m.start()):
            continue
        if not ibans:
            ibans.append([x.span() for x in _IBAN.finditer(text)])
        if any(a <= m.start() < b for a, b in ibans[0]):
            continue
        start = m.start() + cuts[best[0]] + best[0]  # one separator before each group
        end = m.start() + cuts[best[1]] + best[1] - 1
        out.append((start, end, _CARD))


# --------------------------------------------------------------------------- entry points
def _scan_once(text: str) -> list[Finding]:
    if not text:
        return []
    work = text
    if "removed]" in text:  # markers from an earlier pass are inert: same length, no cue, no word
        work = _MARKER_RE.sub(lambda m: "\x00" * len(m.group()), text)
    low = work.lower()
    if len(low) != len(work):  # a few letters lower-case to two characters ("İ"); keep offsets aligned
        low = work.translate(_ASCII_LOWER)
    candidates: list[tuple[int, int, str]] = []
    cues: list[list[tuple[int, int]]] = []

    def seed_cues() -> list[tuple[int, int]]:
        if not cues:
            gate = any(k in low for k in _SEED_GATE)
            cues.append([m.span() for m in _SEED_CUE.finditer(low)] if gate else [])
        return cues[0]

    _seed_english(work, low, seed_cues, candidates)
    if _HAS_CJK.search(work):
        _seed_chinese(work, seed_cues, candidates)
    _private_keys(work, low, candidates)
    _api_keys(work, low, candidates)
    _otp_codes(work, low, candidates)
    _passwords(work, low, candidates)
    _cards(work, low, candidates)
    candidates.sort(key=lambda c: (_RANK[c[2]], -(c[1] - c[0]), c[0]))
    starts: list[int] = []
    chosen: list[tuple[int, int, str]] = []
    for s, e, kind in candidates:
        i = bisect.bisect_left(starts, s)
        if i > 0 and chosen[i - 1][1] > s or i < len(chosen) and chosen[i][0] < e:
            continue
        starts.insert(i, s)
        chosen.insert(i, (s, e, kind))
    return [Finding(kind, s, e) for s, e, kind in chosen]


def scan(text: str) -> list[Finding]:
    """Secrets in `text`, as non-overlapping spans in ascending order.

    Context is read within a distance (a label 80 characters before a key, an error word near a code), and a
    marker is not as long as what it replaces; so the shielded text is scanned again and what that finds is
    added, until nothing new turns up: shielding twice never finds more than shielding once.
    """
    findings = _scan_once(text)
    for _ in range(3 if len(text) <= _RESCAN_MAX else 0):
        if not findings:
            return findings
        shielded, markers = _replace(text, findings)
        extra = _scan_once(shielded)
        if not extra:
            return findings
        ends = [m[1] for m in markers]
        for f in extra:
            i = bisect.bisect_right(ends, f.start)  # markers wholly before the finding
            if i < len(markers) and markers[i][0] < f.end:
                continue  # touches a marker: already removed
            shift = markers[i - 1][3] - markers[i - 1][1] if i else 0
            findings.append(Finding(f.kind, f.start + shift, f.end + shift))
        findings.sort(key=lambda f: f.start)
    return findings


def _replace(text: str, findings: list[Finding]) -> tuple[str, list[tuple[int, int, int, int]]]:
    """The text with each finding replaced by its marker, and (marker start, marker end, original start,
    original end) for each."""
    parts, markers, pos, out_len = [], [], 0, 0
    for f in findings:
        parts.append(text[pos:f.start])
        out_len += f.start - pos
        marker = MARKERS[f.kind]
        parts.append(marker)
        markers.append((out_len, out_len + len(marker), f.start, f.end))
        out_len += len(marker)
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts), markers


def shield(text: str) -> Shielded:
    """`text` with each secret replaced by its marker, and what was found (spans in the original text).

    The last few results are remembered (a pure function of the text; Shielded is frozen): e-mail
    intake shields a message's texts to redact its raw copy, then the ticket service shields the
    same strings again.
    """
    hit = _RECENT.get(text)
    if hit is not None:
        return hit
    findings = scan(text)
    result = Shielded(text, ()) if not findings else Shielded(_replace(text, findings)[0], tuple(findings))
    if len(text) <= _RECENT_TEXT_MAX:
        try:
            while len(_RECENT) >= _RECENT_COUNT:
                _RECENT.pop(next(iter(_RECENT)))
        except (KeyError, RuntimeError, StopIteration):  # another thread trimmed it meanwhile
            pass
        _RECENT[text] = result
    return result


_RECENT: dict[str, Shielded] = {}
_RECENT_COUNT = 128  # more than a stored batch holds (intake parses a whole group first)
_RECENT_TEXT_MAX = 32 * 1024  # longer texts are not kept alive for this (at most 4 MiB held)
