"""The secret shield on its own: each kind found and replaced, innocents untouched, and its accuracy
over the labelled set in `shield_cases.py` (recall 100 % on every secret kind, precision >= 98 %)."""
import collections
import random
import time

import pytest

from safety.shield import MARKERS, Finding, Kind, scan, shield
from tests.safety import shield_cases as c

KINDS = [k.value for k in Kind]


def _only(text: str, kind: str, secret: str) -> None:
    result = shield(text)
    assert result.kinds == [kind], (text, result)
    start = text.index(secret)
    assert result.findings == (Finding(kind, start, start + len(secret)),)
    assert result.text == text.replace(secret, MARKERS[kind])
    assert secret not in result.text


@pytest.mark.parametrize("phrase", [c.SEED12, c.SEED15, c.SEED18, c.SEED24, c.SEED12.upper()])
def test_english_seed_phrase_is_replaced(phrase):
    _only(f"please check my wallet, the words are {phrase} thanks", "seed_phrase", phrase)


def test_numbered_and_comma_separated_seed_is_one_finding():
    _only(f"seed:\n{c.NUMBERED}\n", "seed_phrase", c.NUMBERED[3:])  # "1. " before the first word stays
    commas = ", ".join(c.SEED15.split())
    _only(f"mnemonic: {commas}", "seed_phrase", commas)


def test_seed_with_a_wrong_word_is_caught_by_its_length_and_context():
    assert shield(f"seed = {c.BROKEN12}").kinds == ["seed_phrase"]
    assert shield(f"my seed: {' '.join(c.SEED12.split()[:8])} ... forgot the rest").kinds == ["seed_phrase"]


def test_chinese_seed_separated_or_after_a_seed_word():
    _only(f"助记词 {c.ZH12}", "seed_phrase", c.ZH12)
    _only(f"繁体：{c.ZT12}", "seed_phrase", c.ZT12)
    joined = c.ZH12.replace(" ", "")
    _only(f"我的助记词是{joined}，请尽快", "seed_phrase", joined)


def test_unseparated_chinese_without_a_seed_word_is_prose():
    joined = c.ZH12.replace(" ", "")
    assert scan(joined) == []
    assert scan("我想知道为什么我的账户不能交易了，是不是因为实名认证还没有通过") == []


@pytest.mark.parametrize("text,secret", [
    (f"My private key is {c.HEXKEY}", c.HEXKEY),
    (f"私钥：0x{c.HEXKEY2}", "0x" + c.HEXKEY2),
    (f"paper wallet {c.WIF}", c.WIF),
    (f"{c.WIFC} is what I exported", c.WIFC),
    (f"backup {c.XPRV}", c.XPRV),
    (f"electrum {c.ZPRV}", c.ZPRV),
    (f"private key {c.SOLKEY}", c.SOLKEY),
    (f"file:\n{c.PEM}\nok?", c.PEM),
    (f"{c.PEM_OPENSSH}", c.PEM_OPENSSH),
])
def test_private_key_forms(text, secret):
    _only(text, "private_key", secret)


@pytest.mark.parametrize("text", [
    f"TXID: {c.TXID}", f"tx hash 0x{c.TXID2}", c.TXID, f"signature {c.SOL_SIG}", f"xpub {c.XPUB}",
    f"{c.ETH_ADDR} {c.BTC_LEGACY} {c.BTC_P2SH} {c.BTC_BECH32} {c.TRON} {c.SOL} {c.XRP}",
])
def test_transaction_hashes_and_addresses_pass(text):
    assert shield(text) == type(shield(text))(text, ())


@pytest.mark.parametrize("text,secret", [
    (f"API Key: {c.APIKEY}", c.APIKEY),
    (f"my api key is {c.APIKEY2} and it fails", c.APIKEY2),
    (f"我的API密钥是{c.APIKEY2}，为什么", c.APIKEY2),
    (f"secret={c.APISECRET}", c.APISECRET),
])
def test_api_key_after_its_label(text, secret):
    _only(text, "api_key", secret)


@pytest.mark.parametrize("text,code", [
    ("my 2FA code is 483920", "483920"), ("验证码 483920", "483920"), ("验证码是：483920", "483920"),
    ("Google Authenticator shows 552 901 now", "552 901"), ("483920 is my 2fa code", "483920"),
    ("短信码 7201", "7201"), ("the code you sent: 771204", "771204"),
])
def test_one_time_code_after_its_cue(text, code):
    _only(text, "otp_code", code)


@pytest.mark.parametrize("text", [
    "error code 500", "code 403 from the API", "Error code 1002", "withdrawal ID 123456", "Referral code 483920",
    "anti-phishing code 7731", "邀请码 483920", "错误码 1002", "the code expired in 60 seconds",
    "I didn't get the SMS code", "order 2026112934567812", "UID 38192057", "1,250.50 USDT on 2026-11-28 14:32",
])
def test_codes_ids_amounts_and_dates_pass(text):
    assert scan(text) == []


@pytest.mark.parametrize("text,secret", [
    ("password: hunter2", "hunter2"), ("my password is Summer2024!", "Summer2024!"), ("pwd=Qwerty!88", "Qwerty!88"),
    ("密码是Qq123456", "Qq123456"), ("登录密码：abc12345", "abc12345"), ("资金密码 Zj@2023888", "Zj@2023888"),
])
def test_password_after_its_cue(text, secret):
    _only(text, "password", secret)


@pytest.mark.parametrize("text", [
    "I forgot my password", "reset password link does not work", "Password reset does not work",
    "How do I change my password?", "my password is incorrect", "我忘记密码了", "修改密码以后要等24小时吗",
    "Is my recovery phrase safe in a password manager?", "my passport number is E12345678",
])
def test_password_talk_passes(text):
    assert scan(text) == []


@pytest.mark.parametrize("number", [
    c._grouped(c.VISA), c.MC, c._grouped(c.VISA2, "-"), f"{c.AMEX[:4]} {c.AMEX[4:10]} {c.AMEX[10:]}", c.UNIONPAY,
    c._grouped(c.JCB), c.DISCOVER,
])
def test_full_card_number(number):
    _only(f"card {number} exp 09/28", "card_number", number)


@pytest.mark.parametrize("text", [
    "4111 **** **** 1111", "card ending 1111", f"card {c.NOT_LUHN}", "IBAN DE89 3704 0044 0532 0130 00",
    "+86 139 1234 5678", "订单号 6222021234567890123", "身份证 110101199003074514",
])
def test_masked_cards_ids_and_phones_pass(text):
    assert scan(text) == []


def test_several_kinds_in_one_message_keep_their_order_and_spans():
    text = f"seed {c.SEED12} / password: Ab123456!! / 验证码 302918 / card {c.VISA}"
    result = shield(text)
    assert result.kinds == ["seed_phrase", "password", "otp_code", "card_number"]
    assert [text[f.start:f.end] for f in result.findings] == [c.SEED12, "Ab123456!!", "302918", c.VISA]
    assert result.text == (
        "seed [seed phrase removed] / password: [password removed] / 验证码 [one-time code removed] "
        "/ card [card number removed]"
    )


@pytest.mark.parametrize("text,kinds", c.CASES)
def test_shielding_twice_finds_nothing_new(text, kinds):
    once = shield(text)
    assert shield(once.text).findings == ()
    for marker in MARKERS.values():
        assert scan(marker) == [] and scan(f"password: {marker} code {marker}") == []


def test_shielding_twice_finds_nothing_new_in_messages_run_together():
    # A marker is shorter or longer than what it replaced, so context read within a distance shifts; scan()
    # rescans its own output until nothing new turns up.
    rng = random.Random(8)
    texts = [t for t, _ in c.CASES]
    for _ in range(400):
        text = rng.choice([" ", "\n", "，", ""]).join(rng.choice(texts) for _ in range(rng.randint(2, 5)))
        once = shield(text)
        assert list(once.findings) == scan(text)
        assert shield(once.text).findings == (), text
    text = f"私钥 {c.SOLKEY}，{c.HEXKEY}"  # the label is 88 characters back, 21 after the first marker
    assert shield(shield(text).text).findings == ()


@pytest.mark.parametrize("text", [
    "", "\x00", "İstanbul password: Kx9!aa", "😀" * 100, "\u202e" + c.SEED12, "ＡＰＩ key: " + c.APIKEY,
    "验证码：４８３９２０", "\ud800 lone surrogate 483920",
])
def test_any_unicode_is_safe(text):
    result = shield(text)
    for f in result.findings:
        assert 0 <= f.start < f.end <= len(text)


def test_full_width_digits_and_dotless_i_keep_offsets():
    result = shield("İİ password: Kx9!aa")
    assert result.text == "İİ password: [password removed]"
    assert shield("验证码：４８３９２０").text == "验证码：[one-time code removed]"


@pytest.mark.parametrize("unit", [
    "I bought 0.5 BTC at 43,120.55 on 2026-11-28, order 1029384756, tx " + c.TXID + ". ",
    "abandon ", "1234 ", "code 123456 ", "password: abcd1234 ", "的一是在不了有和人这中大", "a" * 1000, "\n",
])
def test_one_megabyte_finishes(unit):
    text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    began = time.perf_counter()
    findings = scan(text)
    print(f"1 MB of {unit[:20]!r}: {time.perf_counter() - began:.2f} s, {len(findings)} findings")
    assert all(0 <= f.start < f.end <= len(text) for f in findings)


def confusion(cases):
    """Per-kind true/false positives and false negatives, and per-message counts (a message is
    right when the set of kinds found is the labelled set)."""
    per_kind = {k: collections.Counter() for k in KINDS}
    messages = collections.Counter()
    wrong = []
    for text, labelled in cases:
        found = set(shield(text).kinds)
        for k in KINDS:
            if k in found and k in labelled:
                per_kind[k]["tp"] += 1
            elif k in found:
                per_kind[k]["fp"] += 1
            elif k in labelled:
                per_kind[k]["fn"] += 1
        has, flagged = bool(labelled), bool(found)
        messages["tp" if has and flagged else "fp" if flagged else "fn" if has else "tn"] += 1
        if found != set(labelled):
            wrong.append((text[:120], sorted(labelled), sorted(found)))
    return per_kind, messages, wrong


def _ratio(num, den):
    return num / den if den else 1.0


def test_accuracy_over_the_labelled_set():
    assert len(c.CASES) >= 240
    assert sum(1 for _, kinds in c.CASES if kinds) * 2 >= len(c.CASES)
    assert {k for _, kinds in c.CASES for k in kinds} == set(KINDS)
    per_kind, messages, wrong = confusion(c.CASES)
    lines = [f"{'kind':<13}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}"]
    for k, n in per_kind.items():
        lines.append(f"{k:<13}{n['tp']:>5}{n['fp']:>5}{n['fn']:>5}"
                     f"{_ratio(n['tp'], n['tp'] + n['fp']):>11.3f}{_ratio(n['tp'], n['tp'] + n['fn']):>8.3f}")
    lines.append(f"messages: {dict(messages)}; wrong: {wrong}")
    report = "\n".join(lines)
    print("\n" + report)
    for k, n in per_kind.items():
        assert n["fn"] == 0, report
        assert _ratio(n["tp"], n["tp"] + n["fp"]) >= 0.98, report
    assert messages["fn"] == 0, report
    assert _ratio(messages["tp"], messages["tp"] + messages["fp"]) >= 0.98, report


def test_card_search_within_long_digit_stretches_finds_what_a_pass_over_the_whole_text_finds():
    """`_cards` tries the card pattern only inside stretches of 13+ digits (and separators); the same
    pattern over the whole text must find exactly the same, whatever stands at a stretch's edges."""
    import random

    from safety import shield as s

    pieces = [
        "4111 1111 1111 1111", "4111-1111-1111-1111", "４１１１ １１１１ １１１１ １１１１", "4012888888881881", "378282246310005",
        "4111 1111 1111 1111 2027", "DE89 3704 0044 0532 0130 00", "order 4111111111111111", "iban", "x", ".", ",", ":", "/",
        "#", "-", " ", "\n", "12", "2026-11-05 13:00,BTC/USDT,buy,0.123456,65432", "card ", "5500 0000 0000 0004.5",
    ]
    rng = random.Random(7)
    found = 0
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 25)))
        low = text.lower()
        ours, whole = [], []
        s._cards(text, low, ours)
        s._cards_in(text, low, whole, 0, len(text), [])
        assert ours == whole, text
        found += len(ours)
    assert found > 1000  # the texts do hold card numbers


def test_long_texts_gated_in_c_find_what_the_full_passes_find(monkeypatch):
    """`_no_card_stretch` and `_no_long_token` skip the card and long-token passes on a long ASCII text that
    cannot hold what they look for; with the gates off (`_GATE_MIN` out of reach) every text must give the
    same findings, and a trade history alone must pass both gates."""
    import random

    from safety import shield as s

    row = "2026-11-05 13:00,BTC/USDT,buy,0.123456,65432\r\n"
    csv = row * 200
    assert s._no_card_stretch(csv) and s._no_long_token(csv)
    pieces = [
        row, "card 4111 1111 1111 1111 ", "4111-1111-1111-1111", "4012888888881881", "３７８２８２２４６３１０００５",
        "order 4111111111111111 ", "private key: " + "ab" * 32 + " ", "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3",
        "api key = " + "Zx9" * 12 + "\n", "0x" + "f" * 64, "a" * 31 + " ", "1234567890123 ", "12 34 56 78 90 12 3", "-", " ",
        "txid " + "e" * 64 + "\n",
    ]
    rng = random.Random(11)
    found = 0
    for _ in range(300):
        text = csv[: rng.randrange(4096, len(csv))] + "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 6)))
        gated = scan(text)
        monkeypatch.setattr(s, "_GATE_MIN", 10**12)
        assert scan(text) == gated, text[-300:]
        monkeypatch.undo()
        found += len(gated)
    assert found > 100  # the texts do hold secrets
