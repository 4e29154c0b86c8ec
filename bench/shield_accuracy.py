"""Secret shield accuracy on the labelled set, and what a scan costs against a one-regex filter, in one run.

    .venv/bin/python bench/shield_accuracy.py [REPEATS]

Accuracy: precision and recall per kind and per message over `tests/safety/shield_cases.py`.
Speed, per message of the same set (each timed REPEATS times, median of the repeats):
baseline `text.lower()` + one compiled regex search (what a naive keyword filter costs) against
`safety.shield.scan`. Then 4 KB messages without a secret: ordinary prose about a deposit (English and
Chinese), and the set's tricky innocents back to back (dense with TXIDs, "code", "password", "seed
phrase": the detector's slow paths); and 1 MB inputs, including adversarial ones, to show the work
stays linear.
"""
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from safety.shield import scan  # noqa: E402
from tests.safety import shield_cases as c  # noqa: E402
from tests.safety.test_shield import KINDS, _ratio, confusion  # noqa: E402

# What most messages look like: a few paragraphs about a deposit or a withdrawal, no secret and few cue words.
ORDINARY_EN = [
    "Hello, I made a deposit of 2,000 USDT on the TRON network yesterday evening and it still does not show in "
    "my spot balance. The exchange I sent it from says the transfer is complete and confirmed. Could you please "
    "look into it and tell me when it will arrive? I have attached a screenshot of the withdrawal page.",
    "I also wanted to ask about the fees for futures trading. Last month I paid more than I expected and I would "
    "like to understand how the maker and taker fees are calculated for my VIP level, and whether holding the "
    "platform token gives me a discount on them.",
    "Finally, my identity verification was rejected twice because the photo of my passport was blurry. I took "
    "a new photo in daylight and uploaded it this morning. How long does the review take now? I need to "
    "withdraw before the end of the week to pay my rent, so any help would be appreciated. Thank you.",
]
ORDINARY_ZH = [
    "你好，我昨天晚上通过波场网络充值了两千个USDT，到现在还没有显示在现货账户里。转出的平台显示已经完成并且确认了，"
    "麻烦帮我查一下什么时候能到账，我已经把提现页面的截图上传了。",
    "另外想问一下合约交易的手续费，上个月我付的手续费比预想的多，想了解一下我这个等级的挂单和吃单费率是怎么计算的，"
    "持有平台币能不能打折。",
    "还有，我的身份认证被拒绝了两次，说护照照片不清楚。今天早上我在白天重新拍了一张上传了，现在审核需要多长时间？"
    "我周末之前需要提现交房租，麻烦尽快处理，谢谢。",
]
BASELINE = re.compile(r"seed|mnemonic|private key|password|api key|secret|code|验证码|密码|助记词|私钥|\d{13,19}")


def per_message_us(fn, texts, repeats):
    times = []
    for text in texts:
        runs = []
        for _ in range(repeats):
            began = time.perf_counter()
            fn(text)
            runs.append(time.perf_counter() - began)
        times.append(statistics.median(runs) * 1e6)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))], max(times)


def baseline(text):
    return BASELINE.search(text.lower())


def plain(texts, size):
    out = ""
    while len(out) < size:
        for t in texts:
            out += t + "\n"
    return out[:size]


def main(repeats: int) -> None:
    per_kind, messages, wrong = confusion(c.CASES)
    secret = sum(1 for _, k in c.CASES if k)
    print(f"{len(c.CASES)} messages, {secret} with a secret, {len(c.CASES) - secret} innocent")
    print(f"{'kind':<13}{'tp':>5}{'fp':>5}{'fn':>5}{'precision':>11}{'recall':>8}")
    for k in KINDS:
        n = per_kind[k]
        print(f"{k:<13}{n['tp']:>5}{n['fp']:>5}{n['fn']:>5}"
              f"{_ratio(n['tp'], n['tp'] + n['fp']):>11.3f}{_ratio(n['tp'], n['tp'] + n['fn']):>8.3f}")
    tp, fp, fn = (sum(per_kind[k][x] for k in KINDS) for x in ("tp", "fp", "fn"))
    print(f"{'all kinds':<13}{tp:>5}{fp:>5}{fn:>5}{_ratio(tp, tp + fp):>11.3f}{_ratio(tp, tp + fn):>8.3f}")
    print(f"{'messages':<13}{messages['tp']:>5}{messages['fp']:>5}{messages['fn']:>5}"
          f"{_ratio(messages['tp'], messages['tp'] + messages['fp']):>11.3f}"
          f"{_ratio(messages['tp'], messages['tp'] + messages['fn']):>8.3f}   (tn {messages['tn']})")
    for row in wrong:
        print("  wrong:", row)

    texts = [t for t, _ in c.CASES]
    innocent_en = [t for t, k in c.CASES if not k and t.isascii()]
    innocent_zh = [t for t, k in c.CASES if not k and not t.isascii()]
    sets = [
        ("set messages", texts),
        ("ordinary 4 KB EN", [plain(ORDINARY_EN[i:] + ORDINARY_EN[:i], 4096) for i in range(3)]),
        ("ordinary 4 KB ZH", [plain(ORDINARY_ZH[i:] + ORDINARY_ZH[:i], 4096) for i in range(3)]),
        ("tricky 4 KB EN", [plain(innocent_en[i:] + innocent_en[:i], 4096) for i in range(0, 40, 2)]),
        ("tricky 4 KB ZH", [plain(innocent_zh[i:] + innocent_zh[:i], 4096) for i in range(0, 40, 2)]),
    ]
    scan("warm up the word lists")
    print()
    print(f"{'input':<18}{'n':>5}{'avg chars':>10}{'base med µs':>12}{'scan med µs':>12}{'base p99':>10}"
          f"{'scan p99':>10}{'scan max':>10}{'ratio':>7}")
    for label, group in sets:
        b_med, b_p99, _ = per_message_us(baseline, group, repeats)
        s_med, s_p99, s_max = per_message_us(scan, group, repeats)
        avg = sum(map(len, group)) / len(group)
        print(f"{label:<18}{len(group):>5}{avg:>10.0f}{b_med:>12.1f}{s_med:>12.1f}{b_p99:>10.1f}{s_p99:>10.1f}"
              f"{s_max:>10.1f}{s_med / b_med:>7.1f}")

    print()
    print(f"{'1 MB of':<34}{'base ms':>9}{'scan ms':>9}{'findings':>9}")
    for name, unit in (
        ("innocent EN messages", "\n".join(innocent_en) + "\n"),
        ("innocent ZH messages", "\n".join(innocent_zh) + "\n"),
        ("all set messages", "\n".join(texts) + "\n"),
        *((repr(u), u) for u in ("abandon ", "code 123456 ", "password: abcd1234 ", "4111 1111 1111 1111 ",
                                 "1234 ", "的一是在不了有和人这中大", "a", "\n")),
    ):
        text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
        began = time.perf_counter()
        baseline(text)
        base = time.perf_counter() - began
        began = time.perf_counter()
        findings = scan(text)
        took = time.perf_counter() - began
        print(f"{name:<34}{base * 1e3:>9.1f}{took * 1e3:>9.1f}{len(findings):>9}")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
