"""E-mail intake throughput on PostgreSQL against the standard library's parser, in one run on the same bytes.

    .venv/bin/python bench/intake_throughput.py [N]        # N messages, default 2000

Generates N varied messages in memory from a fixed seed: plain text, HTML-only, multipart/alternative,
non-UTF-8 charsets (gb2312, big5, iso-8859-1, koi8-r, shift_jis), RFC 2047 subjects and names, RFC 2231
filenames, attachments from 2 KB to 1 MB (images, PDFs, office files), forwarded message/rfc822, inline
images, replies that thread (by the customer's own Message-ID, the desk's Message-IDs, the reply address
and "[SUP-...]" in the subject), follow-ups to closed tickets, strangers quoting a reference, duplicates,
auto-replies and DSN bounces (multipart/report); mostly distinct senders, some registered customers.
Before that, N/20 (at least 60) earlier tickets are opened through the same intake, untimed, and given fixed
references, reply tokens and desk Message-IDs, so the replies, auto-replies and bounces that point at them are
the same bytes in every run.

Baseline: `email.message_from_bytes(raw, policy=compat32)`, then every leaf part's
`get_payload(decode=True)`. Measured: `parse_message(raw)` alone (no database; it and the baseline take turns
on each message, and each message counts its faster of two passes), and the full intake
`ingest_raw(raw, source=...)` as a single-message door (the MTA pipe `ingest_email -`) calls it: store raw and
commit, then parse, decide and apply in a second transaction; and the batch door, `ingest_many` as `manage.py
ingest_email DIR` and the IMAP poll call it (a batch of raw messages stored with one INSERT and one commit, then
parsed, decided and applied together in one transaction), on the same messages from the same starting database; one process/thread.
tracemalloc peak while handling the largest message (and while the batch door reads a folder holding it); then
a cProfile pass of the batch door over 200 further messages of the same mix, to show where the time goes.

Needs PostgreSQL. The database is dedicated and is emptied on every run: BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/desk_bench_intake; the ambient DATABASE_URL is deliberately ignored,
and the name must contain "bench"). It is created when missing and migrated. Attachments, var/ and the
Celery broker folder go to a temporary directory that is removed at the end; outbound mail uses the locmem
backend with Celery tasks eager, so nothing is sent anywhere. The eager tasks a worker runs in production
(rendering and queueing the acknowledgement, sending it) are timed and their statements counted apart.
"""
import base64
import binascii
import cProfile
import email
import gc
import math
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import policy as email_policy
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/desk_bench_intake"
DESK = "support@desk.localhost"
SEED = 20261129
PROFILED = 200  # further messages of the same mix, intaken under cProfile after the timed run
REPEAT = 2  # passes of the bare parse and of parse_message; the faster one counts
CUSTOMERS = 60  # registered customers


# ------------------------------------------------------------------------------------------- setup
def configure(tmp: Path) -> str:
    """Environment for support.settings: dedicated database, temp var/, no real mail, no broker."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    name = urlparse(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in name:
        sys.exit(f"BENCH_DATABASE_URL must be a postgres:// URL of a database named *bench* (it is emptied): {url}")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="support.settings",
        DATABASE_URL=url,
        DESK_VAR_DIR=str(tmp / "var"),
        PRIVATE_STORAGE_ROOT=str(tmp / "private"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER="1",
        DEBUG="0",
        SECRET_KEY="bench-intake-not-a-secret",
        DESK_EMAIL_ADDRESS=DESK,
        IMAP_HOST="",
        LOG_LEVEL="WARNING",
    )
    os.environ.pop("REDIS_URL", None)  # local-memory cache and channel layer; the shared Redis is left alone
    return url


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    params = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 5432, "dbname": "postgres",
              "user": unquote(parsed.username or "postgres")}
    if parsed.password:
        params["password"] = unquote(parsed.password)
    with psycopg.connect(**params, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def reset_database(storage_root: Path) -> None:
    """Empty every table intake writes to (customers and reference data stay) and the attachment folder."""
    from django.db import connection

    from support.models import AuditEvent, Notification, OutboundEmail, SLAClock
    from tickets.models import InboundEmail, Ticket, TicketAttachment, TicketMailId, TicketMessage, TicketParticipant

    models = [TicketAttachment, TicketMailId, TicketParticipant, TicketMessage, InboundEmail, Ticket,
              AuditEvent, SLAClock, OutboundEmail, Notification]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    shutil.rmtree(storage_root, ignore_errors=True)
    storage_root.mkdir(parents=True, exist_ok=True)


def ensure_customers() -> list[str]:
    from support.models import User
    from support.services import customer_create

    emails = [f"trader{i:03d}@{CUSTOMER_DOMAINS[i % len(CUSTOMER_DOMAINS)]}" for i in range(CUSTOMERS)]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    for i, address in enumerate(emails):
        if address not in existing:
            customer_create(address, password=None, account_number=f"8{i:07d}",
                            language=["en", "zh-hans", "ru", "ja"][i % 4])
    return emails


# ------------------------------------------------------------------------------- message material
CUSTOMER_DOMAINS = ["qq.example", "163.example", "gmail.example", "mail.example.ru", "yahoo.example.jp"]
STRANGER_DOMAINS = [
    "qq.example", "163.example", "126.example", "sina.example.cn", "gmail.example", "outlook.example",
    "hotmail.example", "yandex.example.ru", "mail.example.ru", "yahoo.example.jp", "docomo.example.jp",
    "hinet.example.tw", "gmx.example.de", "orange.example.fr", "libero.example.it", "naver.example.kr",
    "proton.example", "icloud.example", "exchange.example.com", "fund.example.hk",
]

LANGS = {
    "en": {
        "charsets": ["us-ascii", "utf-8", "utf-8", "iso-8859-1"],
        "names": ["John Smith", "Mary O'Neil", "Ahmed Khan", "Olivia Brown", "Ravi Patel", "Lucas Meyer"],
        "subjects": ["Withdrawal not received", "Deposit pending for 3 days", "Cannot log in to my account",
                     "2FA reset request", "Order executed at wrong price", "Question about margin call",
                     "Account verification documents", "Fee charged twice"],
        "sentences": [
            "My withdrawal of {amount} USDT has not arrived yet.",
            "The transaction hash is {txid}.",
            "I made a deposit on {date} and it is still pending.",
            "Could you please check what happened with order {order}?",
            "I attached a screenshot of the error message.",
            "My account number is {account}.",
            "This is urgent, I need the funds for a margin call.",
            "I have already tried clearing the cache and logging in again.",
            "The app says \"Something went wrong (code 5003)\" every time.",
            "Thank you for your help, looking forward to your answer.",
        ],
    },
    "zh-hans": {
        "charsets": ["gb2312", "gb2312", "utf-8", "gbk"],
        "names": ["王伟", "李娜", "张敏", "刘洋", "陈静"],
        "subjects": ["提现未到账", "充值一直在处理中", "无法登录账户", "重置谷歌验证", "订单成交价格不对", "账户认证资料"],
        "sentences": [
            "您好，我的提现{amount} USDT 还没有到账。",
            "交易哈希是 {txid}。",
            "我在{date}充值，到现在还是处理中。",
            "请帮忙查一下订单 {order} 的情况。",
            "附件是错误提示的截图。",
            "我的账户号码是 {account}。",
            "这个问题很急，请尽快处理，谢谢！",
            "我已经清除了缓存并重新登录，还是不行。",
        ],
    },
    "zh-hant": {
        "charsets": ["big5", "big5", "utf-8"],
        "names": ["陳志明", "林美玲", "黃建國"],
        "subjects": ["出金尚未到帳", "入金一直處理中", "無法登入帳戶", "訂單成交價格錯誤"],
        "sentences": [
            "您好，我的出金{amount} USDT 還沒有到帳。",
            "交易雜湊是 {txid}。",
            "我在{date}入金，到現在還是處理中。",
            "請幫忙查詢訂單 {order} 的狀況。",
            "附件是錯誤訊息的截圖。",
            "我的帳戶號碼是 {account}。",
            "這個問題很急，請盡快處理，謝謝！",
        ],
    },
    "ja": {
        "charsets": ["shift_jis", "shift_jis", "utf-8"],
        "names": ["山田太郎", "佐藤花子", "鈴木一郎"],
        "subjects": ["出金が反映されません", "入金が処理中のままです", "ログインできません", "注文の約定価格について"],
        "sentences": [
            "お世話になっております。出金{amount} USDT がまだ反映されていません。",
            "トランザクションハッシュは {txid} です。",
            "{date}に入金しましたが、まだ処理中です。",
            "注文 {order} について確認していただけますか。",
            "エラー画面のスクリーンショットを添付します。",
            "口座番号は {account} です。",
            "よろしくお願いいたします。",
        ],
    },
    "ru": {
        "charsets": ["koi8-r", "koi8-r", "utf-8", "windows-1251"],
        "names": ["Иван Петров", "Ольга Смирнова", "Дмитрий Иванов"],
        "subjects": ["Вывод средств не поступил", "Депозит в обработке", "Не могу войти в аккаунт", "Сброс 2FA"],
        "sentences": [
            "Здравствуйте, мой вывод {amount} USDT до сих пор не поступил.",
            "Хеш транзакции: {txid}.",
            "Я сделал депозит {date}, он всё ещё в обработке.",
            "Проверьте, пожалуйста, ордер {order}.",
            "Прикладываю скриншот ошибки.",
            "Номер моего счёта {account}.",
            "Спасибо, жду ответа.",
        ],
    },
    "fr": {
        "charsets": ["iso-8859-1", "iso-8859-1", "utf-8", "windows-1252"],
        "names": ["François Lefèvre", "Hélène Dubois", "Jürgen Groß", "José Muñoz"],
        "subjects": ["Retrait non reçu", "Dépôt en attente", "Problème de connexion", "Frais prélevés deux fois"],
        "sentences": [
            "Bonjour, mon retrait de {amount} USDT n'est toujours pas arrivé.",
            "Le hash de la transaction est {txid}.",
            "J'ai effectué un dépôt le {date}, il est toujours en attente.",
            "Pourriez-vous vérifier l'ordre {order} ? Grüße aus München, señor.",
            "Ci-joint une capture d'écran de l'erreur.",
            "Mon numéro de compte est {account}.",
            "Merci d'avance pour votre réponse rapide.",
        ],
    },
}
LANG_WEIGHTS = [("en", 35), ("zh-hans", 25), ("zh-hant", 8), ("ja", 10), ("ru", 10), ("fr", 12)]
ATTACHMENT_NAMES = {
    "en": ["screenshot", "bank statement", "ID card front", "withdrawal receipt", "proof of address"],
    "zh-hans": ["截图", "银行流水", "身份证正面", "提现记录", "地址证明"],
    "zh-hant": ["截圖", "銀行對帳單", "身分證正面", "出金紀錄"],
    "ja": ["スクリーンショット", "入金明細", "本人確認書類"],
    "ru": ["скриншот", "выписка из банка", "паспорт"],
    "fr": ["capture d'écran", "relevé bancaire", "pièce d'identité", "justificatif de domicile"],
}
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # tickets.models.REFERENCE_ALPHABET


@dataclass
class Item:
    kind: str
    raw: bytes
    expect: str
    lang: str = "en"
    message_id: str = ""
    sender: str = ""
    subject: str = ""
    participants: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)


@dataclass
class HistoryTicket:
    reference: str
    reply_token: str
    desk_message_id: str
    requester: str
    subject: str
    closed: bool


class Generator:
    """Deterministic raw messages (bytes); every random choice comes from one seeded Random."""

    def __init__(self, seed: int, customers: list[str]):
        self.rng = random.Random(seed)
        self.customers = customers
        self.sender_serial = 0
        self.serial = 0

    # -- small pieces
    def pick_lang(self) -> str:
        return self.rng.choices([l for l, _ in LANG_WEIGHTS], [w for _, w in LANG_WEIGHTS])[0]

    def charset_for(self, lang: str) -> str:
        return self.rng.choice(LANGS[lang]["charsets"])

    def fill(self, sentence: str) -> str:
        rng = self.rng
        return sentence.format(
            amount=f"{rng.randrange(50, 250000) / 10:.1f}",
            txid="0x" + rng.randbytes(32).hex(),
            date=f"2026-{rng.randrange(1, 12):02d}-{rng.randrange(1, 29):02d}",
            order=f"{rng.randrange(10**9, 10**10)}",
            account=f"{rng.randrange(10**7, 10**8)}",
        )

    def paragraphs(self, lang: str, count: int | None = None) -> list[str]:
        rng = self.rng
        sentences = LANGS[lang]["sentences"]
        count = count or rng.choice([1, 1, 2, 2, 3, 4, 6, 10])
        out = []
        for _ in range(count):
            n = rng.randrange(1, 5)
            sep = "" if lang in ("zh-hans", "zh-hant", "ja") else " "
            out.append(sep.join(self.fill(rng.choice(sentences)) for _ in range(n)))
        return out

    def stranger(self) -> str:
        self.sender_serial += 1
        first = self.rng.choice(["alex", "wei", "yuki", "olga", "marc", "li", "sam", "chen", "anna", "ken"])
        return f"{first}.{self.sender_serial:05d}@{self.rng.choice(STRANGER_DOMAINS)}"

    def sender(self, registered_share: float = 0.25) -> tuple[str, str]:
        """(address as written in From, address intake will see)."""
        if self.rng.random() < registered_share:
            address = self.rng.choice(self.customers)
            if self.rng.random() < 0.15:  # registered address written with capitals
                local, domain = address.split("@")
                return f"{local.capitalize()}@{domain.upper()}", address
            return address, address
        address = self.stranger()
        return address, address

    def message_id(self, domain: str) -> str:
        rng = self.rng
        self.serial += 1
        style = rng.randrange(4)
        if style == 0:
            return f"CA{rng.randbytes(18).hex()}{self.serial}@mail.gmail.example"
        if style == 1:
            return f"tencent_{rng.randbytes(16).hex().upper()}{self.serial}@qq.example"
        if style == 2:
            box = f"SG2PR06MB{rng.randrange(1000, 9999)}"
            return f"{box}{rng.randbytes(10).hex().upper()}.{self.serial}@SG2PR06MB.prod.outlook.example"
        return f"{rng.randbytes(8).hex()}.{self.serial}@{domain}"

    def date(self) -> str:
        rng = self.rng
        day = rng.randrange(1, 29)
        zone = rng.choice(["+0800", "+0000", "+0900", "+0300", "+0100", "-0500"])
        wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(day + 3) % 7]
        return f"{wd}, {day} Nov 2026 {rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d} {zone}"

    def encoded_words(self, text: str, charset: str, encoding: str | None = None) -> str:
        """RFC 2047, split on character boundaries into words of at most ~45 encoded characters."""
        encoding = encoding or self.rng.choice("BBQ")
        try:
            text.encode(charset)
        except UnicodeEncodeError:  # e.g. a Chinese subject quoted in a koi8-r reply: the mailer switches to UTF-8
            charset = "utf-8"
        words, chunk = [], ""
        for ch in text:
            if len((chunk + ch).encode(charset)) > (30 if encoding == "B" else 20):
                words.append(chunk)
                chunk = ""
            chunk += ch
        if chunk:
            words.append(chunk)
        out = []
        for word in words:
            data = word.encode(charset)
            if encoding == "B":
                payload = base64.b64encode(data).decode()
            else:
                payload = "".join(
                    "_" if b == 0x20 else chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else f"={b:02X}"
                    for b in data
                )
            out.append(f"=?{charset}?{encoding}?{payload}?=")
        return "\r\n ".join(out)

    def header_text(self, text: str, charset: str) -> str:
        if text.isascii() and self.rng.random() < 0.8:
            return text
        if charset in ("us-ascii",):
            charset = "utf-8"
        return self.encoded_words(text, charset)

    def address(self, name: str, address: str, charset: str) -> str:
        if not name:
            return address
        if name.isascii():
            return f'"{name}" <{address}>' if "'" in name or "." in name else f"{name} <{address}>"
        return f"{self.encoded_words(name, 'utf-8' if charset == 'us-ascii' else charset)} <{address}>"

    def trace_headers(self, sender_domain: str) -> list[str]:
        rng = self.rng
        lines = []
        for hop in range(rng.randrange(1, 4)):
            ip = f"203.0.113.{rng.randrange(1, 254)}"
            lines.append(
                f"Received: from mx{hop}.{sender_domain} (mx{hop}.{sender_domain} [{ip}])\r\n"
                f"\tby mx.desk.localhost (Postfix) with ESMTPS id {rng.randbytes(5).hex().upper()}\r\n"
                f"\tfor <{DESK}>; {self.date()}"
            )
        if rng.random() < 0.5:
            sig = base64.b64encode(rng.randbytes(128)).decode()
            lines.append(
                f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d={sender_domain}; s=s1;\r\n"
                f"\th=from:to:subject:date:message-id; bh={base64.b64encode(rng.randbytes(32)).decode()};\r\n"
                f"\tb={sig[:70]}\r\n\t {sig[70:]}"
            )
        return lines

    def boundary(self) -> str:
        return f"----=_Part_{self.rng.randrange(10**6)}_{self.rng.randrange(10**9)}.{self.rng.randrange(10**12)}"

    # -- MIME bodies (bytes, CRLF)
    @staticmethod
    def encode_body(data: bytes, cte: str) -> bytes:
        if cte == "base64":
            return base64.encodebytes(data).replace(b"\n", b"\r\n")
        if cte == "quoted-printable":
            return binascii.b2a_qp(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")

    def text_part(self, text: str, subtype: str, charset: str) -> bytes:
        try:
            data = text.encode(charset)
        except UnicodeEncodeError:
            charset, data = "utf-8", text.encode("utf-8")
        if data.isascii():
            cte = self.rng.choice(["7bit", "7bit", "quoted-printable"])
        else:
            cte = self.rng.choice(["8bit", "quoted-printable", "base64"])
        head = f"Content-Type: text/{subtype}; charset=\"{charset}\"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
        return head.encode() + self.encode_body(data, cte)

    def multipart(self, subtype: str, parts: list[bytes], extra: str = "") -> bytes:
        b = self.boundary()
        out = [f'Content-Type: multipart/{subtype}; boundary="{b}"{extra}\r\n\r\n'.encode()]
        if self.rng.random() < 0.3:
            out.append(b"This is a multi-part message in MIME format.\r\n")
        for part in parts:
            out.append(f"\r\n--{b}\r\n".encode())
            out.append(part)
        out.append(f"\r\n--{b}--\r\n".encode())
        return b"".join(out)

    def html_of(self, paragraphs: list[str], charset: str, image_cids: list[str] = ()) -> str:
        import html as htmllib

        rng = self.rng
        body = "".join(f"<p style=\"margin:0 0 8px 0\">{htmllib.escape(p)}</p>\r\n" for p in paragraphs)
        if rng.random() < 0.3:
            rows = "".join(f"<tr><td>{k}</td><td>{rng.randrange(10**6)}</td></tr>" for k in ("Order", "Amount", "Fee"))
            body += f"<table border=\"1\" cellpadding=\"4\">{rows}</table>\r\n"
        for cid in image_cids:
            body += f'<img src="cid:{cid}" width="640" height="360" alt="screenshot">\r\n'
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if rng.random() < 0.5 else ""
        return (f"<html><head>{meta}<style>p {{font-family: Arial}} .sig {{color:#888}}</style></head>\r\n"
                f"<body><div dir=\"ltr\">\r\n{body}<div class=\"sig\">--<br>Sent from my phone</div></div>"
                "</body></html>")

    def body(self, lang: str, charset: str, style: str, paragraphs: list[str] | None = None,
             quote_text: str = "") -> bytes:
        """style: plain | html | alternative."""
        paragraphs = paragraphs or self.paragraphs(lang)
        plain = "\r\n\r\n".join(paragraphs)
        if quote_text:
            plain += "\r\n\r\n" + "\r\n".join("> " + line for line in quote_text.splitlines())
        if style == "plain":
            return self.text_part(plain, "plain", charset)
        html = self.html_of(paragraphs, charset)
        if style == "html":
            return self.text_part(html, "html", charset)
        return self.multipart("alternative",
                              [self.text_part(plain, "plain", charset), self.text_part(html, "html", charset)])

    def attachment_size(self) -> int:
        return int(math.exp(self.rng.uniform(math.log(2 * 1024), math.log(1024 * 1024))))

    def filename_params(self, stem: str, ext: str, charset: str) -> tuple[str, str]:
        """(Content-Type name param, Content-Disposition filename param) in one of the styles mail software uses."""
        name = f"{stem}.{ext}"
        if name.isascii() and " " not in name:
            return f'; name="{name}"', f'; filename="{name}"'
        style = self.rng.randrange(4)
        cs = "utf-8" if charset == "us-ascii" else charset
        try:
            data = name.encode(cs)
        except UnicodeEncodeError:
            cs, data = "utf-8", name.encode("utf-8")
        if style == 0:  # RFC 2231, one piece
            value = quote(data, safe="")
            return f"; name*={cs}''{value}", f"; filename*={cs}''{value}"
        if style == 1:  # RFC 2231 continuations
            value = quote(data, safe="")
            pieces = [value[i:i + 30] for i in range(0, len(value), 30)]
            cont = "".join(f";\r\n\tfilename*{i}*={cs}''{p}" if i == 0 else f";\r\n\tfilename*{i}*={p}"
                           for i, p in enumerate(pieces))
            return f"; name*={cs}''{value}", cont
        if style == 2:  # RFC 2047 inside the quoted value (Outlook, Foxmail)
            words = self.encoded_words(name, cs, "B").replace("\r\n ", " ")
            return f'; name="{words}"', f'; filename="{words}"'
        # UTF-8 bytes straight in the header (RFC 6532 style)
        return f'; name="{name}"', f'; filename="{name}"'

    def attachment(self, lang: str, charset: str, size: int | None = None, kind: str | None = None,
                   inline_cid: str = "") -> bytes:
        rng = self.rng
        kind = kind or rng.choice(["png", "png", "jpeg", "jpeg", "pdf", "pdf", "pdf", "docx", "csv"])
        size = size or self.attachment_size()
        if kind == "png":
            ctype, data = "image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(size)
        elif kind == "jpeg":
            ctype, data = "image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + rng.randbytes(size) + b"\xff\xd9"
        elif kind == "pdf":
            ctype, data = "application/pdf", (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length "
                                                + str(size).encode() + b" >>\nstream\n")
            data += rng.randbytes(size) + b"\nendstream\nendobj\n%%EOF\n"
        elif kind == "docx":
            ctype = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            data = b"PK\x03\x04\x14\x00\x06\x00" + rng.randbytes(size)
        else:
            ctype = "text/csv"
            rows, length = ["time,pair,side,amount,price"], 0
            while length < size:
                rows.append(f"2026-11-{rng.randrange(1, 29):02d} {rng.randrange(24):02d}:00,BTC/USDT,"
                            f"{rng.choice(['buy', 'sell'])},{rng.random():.6f},{rng.randrange(60000, 90000)}")
                length += len(rows[-1]) + 2
            data = "\r\n".join(rows).encode()
        ext = {"png": "png", "jpeg": "jpg", "pdf": "pdf", "docx": "docx", "csv": "csv"}[kind]
        stem = rng.choice(ATTACHMENT_NAMES[lang]) if rng.random() < 0.7 else f"IMG_{rng.randrange(1000, 9999)}"
        name_param, file_param = self.filename_params(stem, ext, charset)
        cte = "base64" if kind != "csv" or rng.random() < 0.5 else "quoted-printable"
        disposition = "inline" if inline_cid else "attachment"
        head = (f"Content-Type: {ctype}{name_param}\r\nContent-Transfer-Encoding: {cte}\r\n"
                f"Content-Disposition: {disposition}{file_param}\r\n")
        if inline_cid:
            head += f"Content-ID: <{inline_cid}>\r\n"
        return (head + "\r\n").encode() + self.encode_body(data, cte)

    # -- whole messages
    def message(self, *, from_written: str, name: str, charset: str, subject: str, body: bytes, to: str = DESK,
                cc: list[str] = (), message_id: str, extra: list[str] = (), domain: str = "") -> bytes:
        rng = self.rng
        domain = domain or from_written.rsplit("@", 1)[-1].lower()
        headers = [f"Return-Path: <{from_written.lower()}>"] + self.trace_headers(domain)
        headers += [
            f"Date: {self.date()}",
            f"From: {self.address(name, from_written, charset)}",
            f"To: {to}",
        ]
        if cc:
            headers.append("Cc: " + ", ".join(cc))
        headers += [f"Subject: {self.header_text(subject, charset)}", f"Message-ID: <{message_id}>"]
        headers += list(extra)
        headers.append("MIME-Version: 1.0")
        if rng.random() < 0.4:
            mailers = ["Foxmail 7.2", "Microsoft Outlook 16.0", "Apple Mail (2.3731)", "iPhone Mail (21A329)"]
            headers.append(f"X-Mailer: {rng.choice(mailers)}")
        raw = ("\r\n".join(headers) + "\r\n").encode() + body
        if rng.random() < 0.3:  # delivered through a pipe/Maildir with bare LF line ends
            raw = raw.replace(b"\r\n", b"\n")
        return raw

    def new_message(self, kind: str, *, lang: str | None = None, big: bool = False) -> Item:
        rng = self.rng
        lang = lang or self.pick_lang()
        charset = self.charset_for(lang)
        written, address = self.sender()
        name = rng.choice(LANGS[lang]["names"]) if rng.random() < 0.8 else ""
        subject = rng.choice(LANGS[lang]["subjects"])
        if rng.random() < 0.5:
            subject += f" #{rng.randrange(10**5, 10**6)}"
        cc = [self.stranger()] if rng.random() < 0.1 else []
        paragraphs = self.paragraphs(lang)
        if kind == "plain":
            body = self.body(lang, charset, "plain", paragraphs)
        elif kind == "html":
            body = self.body(lang, charset, "html", paragraphs)
        elif kind == "alternative":
            body = self.body(lang, charset, "alternative", paragraphs)
        elif kind == "attachments":
            text = self.body(lang, charset, rng.choice(["plain", "alternative"]), paragraphs)
            count = rng.choices([1, 2, 3], [6, 3, 1])[0]
            files = [self.attachment(lang, charset) for _ in range(count)]
            if big:
                files = [self.attachment(lang, charset, size=1024 * 1024, kind="pdf"),
                         self.attachment(lang, charset, size=200 * 1024, kind="jpeg")]
            body = self.multipart("mixed", [text] + files)
        elif kind == "inline-image":
            cids = [f"image{i:03d}.{rng.randbytes(4).hex()}@desk-client" for i in range(rng.randrange(1, 3))]
            html = self.text_part(self.html_of(paragraphs, charset, cids), "html", charset)
            related = self.multipart("related", [html] + [
                self.attachment(lang, charset, size=rng.randrange(20_000, 300_000), kind="png", inline_cid=cid)
                for cid in cids
            ], extra='; type="text/html"')
            alternative = self.multipart("alternative", [self.text_part("\r\n\r\n".join(paragraphs), "plain", charset),
                                                         related[related.index(b"Content-Type"):]])
            body = alternative
        elif kind == "forward-rfc822":
            inner_lang = self.pick_lang()
            inner_cs = self.charset_for(inner_lang)
            inner_from, _ = self.sender(0)
            inner_parts = [self.body(inner_lang, inner_cs, "alternative")]
            if rng.random() < 0.5:
                inner_parts.append(self.attachment(inner_lang, inner_cs, size=rng.randrange(3000, 120_000)))
            inner_body = self.multipart("mixed", inner_parts) if len(inner_parts) > 1 else inner_parts[0]
            inner = self.message(from_written=inner_from, name=rng.choice(LANGS[inner_lang]["names"]), charset=inner_cs,
                                 subject=rng.choice(LANGS[inner_lang]["subjects"]), body=inner_body,
                                 message_id=self.message_id("forwarded.example"))
            inner = inner.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
            note = self.text_part("\r\n\r\n".join(paragraphs[:1]) + "\r\n\r\n---------- Forwarded message ----------",
                                  "plain", charset)
            disp = rng.choice(["", "Content-Disposition: attachment; filename=\"forwarded.eml\"\r\n",
                               "Content-Disposition: inline\r\n"])
            forwarded = b"Content-Type: message/rfc822\r\n" + disp.encode() + b"\r\n" + inner
            body = self.multipart("mixed", [note, forwarded])
            subject = "Fwd: " + subject
        else:
            raise ValueError(kind)
        mid = self.message_id(address.rsplit("@", 1)[1])
        raw = self.message(from_written=written, name=name, charset=charset, subject=subject, body=body, cc=cc,
                           message_id=mid)
        return Item(kind=kind, raw=raw, expect="created", lang=lang, message_id=mid, sender=address, subject=subject,
                    participants=[address, *cc], refs=[mid])

    def reply_to_run(self, original: Item) -> Item:
        """A reply in the thread of a ticket opened earlier in this run, by the original's Message-ID."""
        rng = self.rng
        sender = rng.choice(original.participants)
        lang = original.lang
        charset = self.charset_for(lang)
        mid = self.message_id(sender.rsplit("@", 1)[1])
        refs = original.refs[-10:]
        extra = [f"In-Reply-To: <{refs[-1]}>", "References: " + "\r\n ".join(f"<{r}>" for r in refs)]
        body = self.body(lang, charset, rng.choice(["plain", "alternative"]),
                         quote_text="Earlier message text.\nLine two.")
        if rng.random() < 0.2:
            body = self.multipart("mixed", [body, self.attachment(lang, charset)])
        raw = self.message(from_written=sender, name="", charset=charset, subject="Re: " + original.subject, body=body,
                           message_id=mid, extra=extra)
        original.refs.append(mid)
        return Item(kind="reply-thread", raw=raw, expect="threaded", lang=lang, message_id=mid, sender=sender,
                    subject=original.subject, participants=original.participants, refs=original.refs)

    def reply_to_history(self, ticket: HistoryTicket) -> Item:
        """A reply to a ticket that existed before the run: by the desk's Message-ID, the reply address or the
        subject reference; sometimes from a stranger (a new, unverified ticket), sometimes too late (closed)."""
        rng = self.rng
        stranger = rng.random() < 0.08
        sender = self.stranger() if stranger else ticket.requester
        how = rng.choice(["message-id", "message-id", "token", "subject"])
        lang = self.pick_lang()
        charset = self.charset_for(lang)
        subject = "Re: " + ticket.subject
        to, extra = DESK, []
        if how == "message-id":
            extra = [f"In-Reply-To: <{ticket.desk_message_id}>", f"References: <{ticket.desk_message_id}>"]
            subject = rng.choice(["Re: ", "RE: ", "回复：", "AW: "]) + ticket.subject
        elif how == "token":
            to = f"Support desk <support+{ticket.reply_token}@desk.localhost>"
        else:
            subject = f"Re: [{ticket.reference}] {ticket.subject}"
        body = self.body(lang, charset, rng.choice(["plain", "html", "alternative"]),
                         quote_text="> We received your request.")
        mid = self.message_id(sender.rsplit("@", 1)[1])
        raw = self.message(from_written=sender, name="", charset=charset, subject=subject, body=body, to=to,
                           message_id=mid, extra=extra)
        expect = "created" if stranger or ticket.closed else "threaded"
        kind = "reply-desk" if not stranger else "reply-stranger"
        return Item(kind=kind, raw=raw, expect=expect, message_id=mid, sender=sender, subject=subject,
                    participants=[sender], refs=[mid])

    def duplicate(self, original: Item) -> Item:
        raw = original.raw
        if self.rng.random() < 0.3:  # the same message again through another MX
            eol = b"\r\n" if b"\r\n" in raw[:200] else b"\n"
            raw = b"Received: from mx2.desk.localhost by mx.desk.localhost; " + self.date().encode() + eol + raw
        return Item(kind="duplicate", raw=raw, expect="duplicate", message_id=original.message_id,
                    sender=original.sender)

    def autoreply(self, ticket: HistoryTicket) -> Item:
        rng = self.rng
        lang = self.pick_lang()
        charset = self.charset_for(lang)
        style = rng.randrange(4)
        prefix = {0: "Automatic reply: ", 1: "Out of Office: ", 2: "自动回复: ", 3: "Auto: "}[style]
        subject = f"{prefix}[{ticket.reference}] We received your request"
        headers = {
            0: ["Auto-Submitted: auto-replied", "X-Auto-Response-Suppress: All"],
            1: ["Auto-Submitted: auto-replied (vacation)", "Precedence: bulk"],
            2: ["X-Autoreply: yes", "Auto-Submitted: auto-replied"],
            3: ["Auto-Submitted: auto-generated"],
        }[style]
        extra = [f"In-Reply-To: <{ticket.desk_message_id}>", f"References: <{ticket.desk_message_id}>", *headers]
        body = self.body(lang, charset, rng.choice(["plain", "alternative"]),
                         paragraphs=["I am out of the office until Monday."])
        sender = ticket.requester if rng.random() < 0.5 else self.stranger()
        mid = self.message_id(sender.rsplit("@", 1)[1])
        raw = self.message(from_written=sender, name="", charset=charset, subject=subject, body=body, message_id=mid,
                           extra=extra)
        return Item(kind="autoreply", raw=raw, expect="autoreply", message_id=mid, sender=sender)

    def bounce(self, ticket: HistoryTicket) -> Item:
        """A DSN (multipart/report) for the desk's acknowledgement: Postfix style (no link to the ticket),
        Exchange style (the reference in the subject) or with In-Reply-To."""
        rng = self.rng
        mx = f"mx{rng.randrange(1, 50)}.bounce.example.net"
        rcpt = ticket.requester
        style = rng.randrange(3)
        subject = {0: "Undelivered Mail Returned to Sender",
                   1: f"Undeliverable: [{ticket.reference}] We received your request",
                   2: "Delivery Status Notification (Failure)"}[style]
        notice = self.text_part(
            f"This is the mail system at host {mx}.\r\n\r\n"
            "I'm sorry to have to inform you that your message could not\r\n"
            f"be delivered to one or more recipients.\r\n\r\n<{rcpt}>: host {mx} said: 550 5.1.1 User unknown\r\n",
            "plain", "us-ascii")
        status = (f"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; {mx}\r\n"
                  f"Arrival-Date: {self.date()}\r\n\r\n"
                  f"Final-Recipient: rfc822; {rcpt}\r\nOriginal-Recipient: rfc822;{rcpt}\r\n"
                  "Action: failed\r\nStatus: 5.1.1\r\n"
                  f"Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown\r\n").encode()
        original_headers = (f"From: Support desk <{DESK}>\r\nTo: {rcpt}\r\n"
                            f"Subject: [{ticket.reference}] We received your request\r\n"
                            f"Message-ID: <{ticket.desk_message_id}>\r\nAuto-Submitted: auto-replied\r\n"
                            f"Reply-To: support+{ticket.reply_token}@desk.localhost\r\nMIME-Version: 1.0\r\n"
                            f"Content-Type: text/plain; charset=\"utf-8\"\r\n")
        if rng.random() < 0.5:
            returned = b"Content-Type: text/rfc822-headers\r\n\r\n" + original_headers.encode()
        else:
            returned = (b"Content-Type: message/rfc822\r\n\r\n" + original_headers.encode()
                        + b"\r\nWe received your request and will answer within 24 business hours.\r\n")
        body = self.multipart("report", [notice, status, returned], extra="; report-type=delivery-status")
        extra = ["Auto-Submitted: auto-replied"]
        if style == 2:
            extra.append(f"In-Reply-To: <{ticket.desk_message_id}>")
        mid = f"{rng.randbytes(8).hex()}.{self.serial}@{mx}"
        self.serial += 1
        raw = self.message(from_written=f"MAILER-DAEMON@{mx}", name="Mail Delivery System", charset="us-ascii",
                           subject=subject, body=body, message_id=mid, extra=extra, domain=mx)
        raw = raw.replace(f"Return-Path: <mailer-daemon@{mx}>".encode(), b"Return-Path: <>", 1)
        return Item(kind="bounce", raw=raw, expect="bounce", message_id=mid, sender=f"mailer-daemon@{mx}")


KINDS = [  # (kind, share of the run)
    ("plain", 20), ("html", 9), ("alternative", 15), ("attachments", 14), ("inline-image", 3), ("forward-rfc822", 4),
    ("reply-thread", 10), ("reply-desk", 8), ("duplicate", 6), ("autoreply", 6), ("bounce", 5),
]
NEW_KINDS = {"plain", "html", "alternative", "attachments", "inline-image", "forward-rfc822"}


def history_messages(customers: list[str], count: int) -> list[bytes]:
    """Tickets that existed before the run (untimed; also warms up every code path)."""
    gen = Generator(SEED + 1, customers)
    gen.sender_serial = 90000  # other addresses than the run's strangers
    return [gen.new_message(gen.rng.choice(["plain", "alternative"])).raw for _ in range(count)]


def fix_history(seed: int) -> list[HistoryTicket]:
    """Give the seeded tickets deterministic references, reply tokens and desk Message-IDs, and close some long
    ago, so the generated replies, auto-replies and bounces are the same bytes in every run."""
    import datetime as dt

    from django.utils import timezone

    from tickets.models import Ticket, TicketMailId

    rng = random.Random(seed)
    out = []
    for index, ticket in enumerate(Ticket.objects.order_by("pk")):
        reference = "SUP-" + "".join(rng.choice(ALPHABET) for _ in range(8))
        token = rng.randbytes(10).hex()
        desk_id = f"{reference.lower()}.{rng.randbytes(8).hex()}@desk.localhost"
        closed = index % 7 == 3
        changes = {"reference": reference, "reply_token": token}
        if closed:
            changes.update(status=Ticket.Status.CLOSED, closed_at=timezone.now() - dt.timedelta(days=30),
                           resolved_at=timezone.now() - dt.timedelta(days=30))
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        TicketMailId.objects.filter(ticket=ticket).update(message_id=desk_id)
        out.append(HistoryTicket(reference, token, desk_id, ticket.requester_email, ticket.subject, closed))
    return out


def generate(n: int, extra: int, customers: list[str], history: list[HistoryTicket]) -> list[Item]:
    """n messages for the timed run, then `extra` more of the same mix (they may answer the first n)."""
    gen = Generator(SEED, customers)
    rng = gen.rng
    items: list[Item] = []
    opened: list[Item] = []  # messages that open a ticket (reply and duplicate targets)
    big_at = n // 3
    for i in range(n + extra):
        kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        if i == big_at:
            item = gen.new_message("attachments", big=True)
            item.kind = "largest"
        elif kind in NEW_KINDS or (kind in ("reply-thread", "duplicate") and not opened):
            item = gen.new_message(kind if kind in NEW_KINDS else "plain")
        elif kind == "reply-thread":
            item = gen.reply_to_run(rng.choice(opened[-300:]))
        elif kind == "reply-desk":
            item = gen.reply_to_history(rng.choice(history))
        elif kind == "duplicate":
            item = gen.duplicate(rng.choice(items[-200:] if rng.random() < 0.8 else items))
            if not any(x.message_id == item.message_id and x.expect in ("created", "threaded") for x in items):
                item.expect = next(x.expect for x in items if x.message_id == item.message_id)
        elif kind == "autoreply":
            item = gen.autoreply(rng.choice(history))
        else:
            item = gen.bounce(rng.choice(history))
        if item.kind in NEW_KINDS or item.kind == "largest":
            opened.append(item)
        items.append(item)
    return items


# ----------------------------------------------------------------------------------------- measuring
def bare_parse(raw: bytes) -> None:
    message = email.message_from_bytes(raw, policy=email_policy.compat32)
    for part in message.walk():
        if not part.is_multipart():
            part.get_payload(decode=True)


def best_of(fns, raws: list[bytes], repeat: int = REPEAT) -> list[list[float]]:
    """Per function, per message: the fastest of `repeat` timings. The functions take turns on each message,
    so a burst of load elsewhere on the machine hits both alike."""
    best = [[math.inf] * len(raws) for _ in fns]
    clock = time.perf_counter
    for _ in range(repeat):
        gc.collect()
        for index, raw in enumerate(raws):
            for times, fn in zip(best, fns):
                began = clock()
                fn(raw)
                spent = clock() - began
                if spent < times[index]:
                    times[index] = spent
    return best


class QueryMeter:
    """connection.execute_wrapper: statements and time spent on them (send, server, result), per message,
    and over the whole run by the statement's first word. While `worker` is set (an eager task a worker
    runs in production) they are counted in `worker_count` instead."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0
        self.worker = 0
        self.worker_count = 0
        self.by_verb: dict[str, list] = defaultdict(lambda: [0, 0.0])

    def add(self, verb_name: str, spent: float) -> None:
        if self.worker:
            self.worker_count += 1
            return
        self.count += 1
        self.seconds += spent
        verb = self.by_verb[verb_name]
        verb[0] += 1
        verb[1] += spent

    def __call__(self, execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.add(sql.lstrip()[:16].split(None, 1)[0].upper(), time.perf_counter() - began)


def peak_bytes(fn) -> int:
    """tracemalloc peak of what `fn` allocates on top of what was already live."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def with_new_message_id(raw: bytes, old: str, tag: str) -> bytes:
    """Same length, another Message-ID (so the measured copy opens a ticket instead of being a duplicate)."""
    new = old[:-len(tag)] + tag
    changed = raw.replace(f"<{old}>".encode(), f"<{new}>".encode(), 1)
    assert changed != raw and len(changed) == len(raw)
    return changed


PROFILE_BUCKETS = [  # (label, file suffix, function[, more functions in that file]); functions must not nest
    ("inbound_store[_many] (INSERT raw + commit)", "tickets/mail/intake.py", "inbound_store", "inbound_store_many"),
    ("parse_message", "tickets/mail/parse.py", "parse_message"),
    ("_apply_together (a group: decide + apply)", "tickets/mail/intake.py", "_apply_together"),
    ("decide (duplicate/thread lookups)", "tickets/mail/intake.py", "decide", "_decide_unique"),
    ("ticket_prepare (checks, shield, due times)", "tickets/services.py", "ticket_prepare"),
    ("  users_by_email (sender + participants)", "tickets/services.py", "users_by_email"),
    ("  Ticket.full_clean", "django/db/models/base.py", "full_clean"),
    ("  sla_clocks_prepare (policies + due times)", "support/services/sla.py", "sla_clocks_prepare"),
    ("tickets_write (one INSERT a table)", "tickets/services.py", "tickets_write"),
    ("  _save_attachments_many", "tickets/services.py", "_save_attachments_many"),
    ("  sla_clocks_start_new_many", "support/services/sla.py", "sla_clocks_start_new_many"),
    ("  acknowledgement_queue_many (Message-ID rows)", "tickets/mail/outbound.py", "acknowledgement_queue_many"),
    ("ticket_customer_message", "tickets/services.py", "ticket_customer_message"),
    ("audit_event_record (one row)", "support/services/audit.py", "audit_event_record"),
    ("acknowledgement_send (eager task; a worker's)", "tickets/mail/outbound.py", "acknowledgement_send"),
    ("  email_render (3 templates a recipient)", "support/services/notifications.py", "email_render"),
    ("email_deliver (eager task; a worker's job)", "support/services/notifications.py", "email_deliver"),
    ("all SQL (Django cursor execute)", "django/db/backends/utils.py", "_execute"),
    ("commits", "django/db/backends/base/base.py", "commit"),
    ("  md5/sha256 of attachments (IncomingFile)", "tickets/attachments.py", "md5", "sha256"),
    ("md5 for the result rows (ParsedAttachment)", "tickets/mail/parse.py", "md5"),
]


def profile_report(stats: pstats.Stats, messages: int, total: float) -> list[str]:
    table = stats.stats  # {(file, line, func): (cc, nc, tt, ct, callers)}
    lines = [f"{'where (cumulative, per message)':<46}{'ms':>8}{'share':>8}{'calls':>8}"]
    for label, suffix, *funcs in PROFILE_BUCKETS:
        ct = calls = 0.0
        for (filename, _line, name), (_cc, nc, _tt, cum, _callers) in table.items():
            if name in funcs and filename.endswith(suffix):
                ct += cum
                calls += nc
        lines.append(f"{label:<46}{ct / messages * 1e3:>8.2f}{ct / total:>8.0%}{calls / messages:>8.1f}")
    own = sorted(table.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    lines.append("")
    lines.append(f"{'top own time':<58}{'ms/msg':>8}{'calls/msg':>10}")
    for (filename, line, name), (_cc, nc, tt, _ct, _callers) in own:
        short = filename.replace(str(ROOT) + "/", "")
        if "site-packages/" in short:
            short = short.split("site-packages/", 1)[1]
        where = f"{short}:{line} {name}" if line else name
        lines.append(f"{where[-58:]:<58}{tt / messages * 1e3:>8.2f}{nc / messages:>10.1f}")
    return lines


# ---------------------------------------------------------------------------------------------- main
def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="desk-bench-intake-"))
    try:
        run(n, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(n: int, tmp: Path) -> None:
    started = time.perf_counter()
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    url = configure(tmp)
    ensure_database(url)
    import django

    django.setup()
    import logging

    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # "No hostname was supplied" (filesystem broker)
    from django.conf import settings
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection

    import support.services as support_services
    import tickets.mail.outbound as outbound
    from tickets.mail.intake import BATCH_BYTES, BATCH_MESSAGES, inbound_process, inbound_store, ingest_many, ingest_raw
    from tickets.mail.parse import parse_message
    from tickets.mail.sources import raw_messages

    assert connection.vendor == "postgresql" and settings.CELERY_TASK_ALWAYS_EAGER
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", verbosity=0, interactive=False)
    storage_root = Path(settings.PRIVATE_STORAGE_ROOT)

    history_count = max(60, n // 20)

    def prepare() -> tuple[list[str], list[HistoryTicket]]:
        reset_database(storage_root)
        customers = ensure_customers()
        for index, raw in enumerate(history_messages(customers, history_count)):
            ingest_raw(raw, source=f"bench:history/{index}")
        mail.outbox = []
        return customers, fix_history(SEED + 2)

    customers, history = prepare()
    phases = {"setup": time.perf_counter() - started}
    mark = time.perf_counter()
    items = generate(n, PROFILED, customers, history)
    profiled_items, items = items[n:], items[:n]
    raws = [item.raw for item in items]
    sizes = [len(raw) for raw in raws]
    print(f"{n} messages, {sum(sizes) / 2**20:.1f} MiB (mean {statistics.mean(sizes) / 1024:.1f} KiB, median "
          f"{statistics.median(sizes) / 1024:.1f} KiB, largest {max(sizes) / 2**20:.2f} MiB); "
          f"{history_count} earlier tickets, {len(customers)} registered customers", flush=True)

    phases["generate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    # Baseline and our parser alone, on the same bytes (per message the best of REPEAT passes).
    best_of([bare_parse, parse_message], raws[:50], 1)  # warm-up
    bare, ours_parse = best_of([bare_parse, parse_message], raws)

    phases[f"baseline + parse x{REPEAT}"] = time.perf_counter() - mark
    mark = time.perf_counter()
    # Full intake, one message at a time, each committed as production does.
    deliver_seconds = [0.0]
    meter = QueryMeter()
    real_deliver, real_acknowledge = support_services.email_deliver, outbound.acknowledgement_send

    def as_worker(fn):
        """An eager task: its time and statements are a worker's in production, counted apart."""
        def timed(*args):
            meter.worker += 1
            began = time.perf_counter()
            try:
                return fn(*args)
            finally:
                meter.worker -= 1
                if not meter.worker:  # the send runs inside the acknowledgement's commit: count once
                    deliver_seconds[0] += time.perf_counter() - began
        return timed

    support_services.email_deliver = as_worker(real_deliver)
    outbound.acknowledgement_send = as_worker(real_acknowledge)
    real_commit = connection._commit

    def timed_commit():  # COMMIT does not pass through execute wrappers
        began = time.perf_counter()
        try:
            return real_commit()
        finally:
            spent = time.perf_counter() - began
            meter.add("COMMIT", spent)

    connection._commit = timed_commit
    intake, queries, worker_queries, db_seconds, send_seconds, outcomes = [], [], [], [], [], []
    gc.collect()
    clock = time.perf_counter
    cpu_began = time.process_time()
    with connection.execute_wrapper(meter):
        for index, raw in enumerate(raws):
            meter.count, meter.seconds, meter.worker_count, deliver_seconds[0] = 0, 0.0, 0, 0.0
            began = clock()
            result = ingest_raw(raw, source=f"bench:{index}")
            intake.append(clock() - began)
            queries.append(meter.count)
            worker_queries.append(meter.worker_count)
            db_seconds.append(meter.seconds)
            send_seconds.append(deliver_seconds[0])
            outcomes.append(result.outcome)
    intake_cpu = time.process_time() - cpu_began
    single_meter = meter
    sent = len(getattr(mail, "outbox", []))
    mail.outbox = []
    phases["intake, single"] = time.perf_counter() - mark

    # The batch door on the same messages, from the same starting database (emptied, the same history).
    meter = QueryMeter()  # prepare()'s statements and commits count nowhere
    prepare()
    mark = time.perf_counter()
    meter = QueryMeter()
    batch_outcomes = []
    batch_worker = [0.0, 0]  # seconds, statements
    gc.collect()
    cpu_began = time.process_time()
    began = clock()
    with connection.execute_wrapper(meter):
        deliver_seconds[0] = 0.0
        for result in ingest_many((f"bench:{index}", raw) for index, raw in enumerate(raws)):
            batch_outcomes.append(result.outcome)
            batch_worker[0] += deliver_seconds[0]
            batch_worker[1] += meter.worker_count
            deliver_seconds[0], meter.worker_count = 0.0, 0
    batch_seconds = clock() - began
    batch_cpu = time.process_time() - cpu_began
    batch_meter, meter = meter, single_meter
    mail.outbox = []
    support_services.email_deliver, outbound.acknowledgement_send = real_deliver, real_acknowledge
    del connection._commit
    phases["intake, batched"] = time.perf_counter() - mark
    mark = time.perf_counter()
    # Peak memory on the largest message: bare parse, our parse, full intake (a copy with a fresh Message-ID).
    largest = max(range(n), key=lambda i: sizes[i])
    big = with_new_message_id(raws[largest], items[largest].message_id, "memory")
    peak_bare = peak_bytes(lambda: bare_parse(big))
    peak_parse = peak_bytes(lambda: parse_message(big))
    peak_intake_result = []
    peak_intake = peak_bytes(lambda: peak_intake_result.append(ingest_raw(big, source="bench:memory")))
    assert peak_intake_result[0].outcome == "created", peak_intake_result[0]
    # the same split in two (another fresh Message-ID): storing the raw bytes, then parse + decide + apply
    big2 = with_new_message_id(raws[largest], items[largest].message_id, "second")
    stored = []
    peak_store = peak_bytes(lambda: stored.append(inbound_store(big2, source="bench:memory-2")))
    peak_process = peak_bytes(lambda: stored.append(inbound_process(stored[0])))
    assert stored[1].outcome == "created", stored[1]
    del stored
    # The batch door reading a folder as `ingest_email DIR` does: 30 smaller messages, the largest (another
    # fresh Message-ID) and 10 more; the files' bytes are read inside the measurement, unlike above.
    folder = tmp / "door"
    folder.mkdir()
    small = [i for i in range(n) if sizes[i] < 64 * 1024][:40]
    door = [raws[i] for i in small[:30]] + [with_new_message_id(raws[largest], items[largest].message_id, "folder")]
    door += [raws[i] for i in small[30:]]
    for index, raw in enumerate(door):
        (folder / f"{index:03d}.eml").write_bytes(raw)
    del door
    door_outcomes = []
    peak_door = peak_bytes(lambda: door_outcomes.extend(r.outcome for r in ingest_many(raw_messages([str(folder)]))))
    assert door_outcomes[30] == "created", door_outcomes
    single_file = folder / "030.eml"
    (folder / "030.eml").write_bytes(with_new_message_id(raws[largest], items[largest].message_id, "onefile"))
    peak_file = peak_bytes(lambda: door_outcomes.append(ingest_raw(single_file.read_bytes(), source="file").outcome))
    assert door_outcomes[-1] == "created", door_outcomes

    phases["memory"] = time.perf_counter() - mark
    mark = time.perf_counter()
    # Where the time goes: PROFILED more messages of the same mix, continuing on the same database, under cProfile.
    profiled = [item.raw for item in profiled_items]
    profiler = cProfile.Profile()
    began = clock()
    profiler.enable()
    profiled_outcomes = []
    for result in ingest_many((f"bench:profile/{index}", raw) for index, raw in enumerate(profiled)):
        profiled_outcomes.append(result.outcome)
    profiler.disable()
    profiled_total = clock() - began
    mail.outbox = []
    phases["profile"] = time.perf_counter() - mark

    # ------------------------------------------------------------------ report
    bare_ms = sum(bare) / n * 1e3
    parse_ms = sum(ours_parse) / n * 1e3
    intake_ms = sum(intake) / n * 1e3
    send_ms = sum(send_seconds) / n * 1e3
    net_ms = intake_ms - send_ms
    db_ms = sum(db_seconds) / n * 1e3
    size_mb = sizes[largest] / 2**20

    def row(metric, base, ours, fmt, ratio=None):
        ratio = ratio if ratio is not None else ours / base
        print(f"{metric:<44}{format(base, fmt):>10}{format(ours, fmt):>10}{ratio:>8.1f}")

    print()
    print(f"{'metric':<44}{'baseline':>10}{'ours':>10}{'ratio':>8}")
    row("parse only, ms/message (mean)", bare_ms, parse_ms, ".3f")
    row("parse only, messages/s", 1e3 / bare_ms, 1e3 / parse_ms, ".0f", parse_ms / bare_ms)
    row("full intake, ms/message (mean)", bare_ms, intake_ms, ".3f")
    row("full intake, messages/s", 1e3 / bare_ms, 1e3 / intake_ms, ".0f", intake_ms / bare_ms)
    row("  without the eager worker tasks, ms/msg", bare_ms, net_ms, ".3f")
    row("  without the eager worker tasks, messages/s", 1e3 / bare_ms, 1e3 / net_ms, ".0f", net_ms / bare_ms)
    row("full intake, CPU of this process, ms/message", bare_ms, intake_cpu / n * 1e3, ".3f")
    row("full intake, median ms/message", statistics.median(bare) * 1e3, statistics.median(intake) * 1e3, ".3f")
    row("full intake, 95th percentile ms/message",
        statistics.quantiles(bare, n=20)[18] * 1e3, statistics.quantiles(intake, n=20)[18] * 1e3, ".3f")
    row(f"peak memory, largest message ({size_mb:.2f} MiB), MiB", peak_bare / 2**20, peak_intake / 2**20, ".2f")
    row("  parse only, MiB", peak_bare / 2**20, peak_parse / 2**20, ".2f")
    row("  store raw (inbound_store), MiB", peak_bare / 2**20, peak_store / 2**20, ".2f")
    row("  parse + decide + apply (inbound_process), MiB", peak_bare / 2**20, peak_process / 2**20, ".2f")
    row("peak memory / message size (intake)", peak_bare / sizes[largest], peak_intake / sizes[largest], ".2f")
    row("peak memory / message size (parse only)", peak_bare / sizes[largest], peak_parse / sizes[largest], ".2f")
    row("  one file read + ingest_raw", peak_bare / sizes[largest], peak_file / sizes[largest], ".2f")
    row(f"  batch door on a folder ({len(door_outcomes) - 1} files read too)", peak_bare / sizes[largest],
        peak_door / sizes[largest], ".2f")

    batch_ms = batch_seconds / n * 1e3
    batch_net_ms = (batch_seconds - batch_worker[0]) / n * 1e3
    print()
    print(f"Batch door, `ingest_many` as `ingest_email DIR` and the IMAP poll run it (batches of up to "
          f"{BATCH_MESSAGES} messages / {BATCH_BYTES / 2**20:.0f} MiB stored with one INSERT and one commit, then "
          f"applied together in one transaction):")
    row("batched intake, ms/message (mean)", bare_ms, batch_ms, ".3f")
    row("batched intake, messages/s", 1e3 / bare_ms, 1e3 / batch_ms, ".0f", batch_ms / bare_ms)
    row("  without the eager worker tasks, ms/msg", bare_ms, batch_net_ms, ".3f")
    row("  without the eager worker tasks, messages/s", 1e3 / bare_ms, 1e3 / batch_net_ms, ".0f",
        batch_net_ms / bare_ms)
    row("batched intake, CPU of this process, ms/message", bare_ms, batch_cpu / n * 1e3, ".3f")
    batch_off = sum(a != b for a, b in zip(outcomes, batch_outcomes)) + abs(len(outcomes) - len(batch_outcomes))
    print(f"  statements/message {batch_meter.count / n:.1f} (+ {batch_worker[1] / n:.1f} in the eager worker tasks), "
          f"time in round trips {batch_meter.seconds / n * 1e3:.2f} ms/message; {batch_off} outcomes differ from the "
          f"single-message door's")
    print("  by statement: " + ", ".join(
        f"{verb} {count / n:.2f}/msg {seconds / n * 1e3:.2f} ms ({seconds / count * 1e3:.2f} each)"
        for verb, (count, seconds) in sorted(batch_meter.by_verb.items(), key=lambda kv: -kv[1][1])))
    print(f"  targets, batch door: within 3x of bare parse: {'met' if batch_ms <= 3 * bare_ms else 'NOT met'} "
          f"({batch_ms / bare_ms:.1f}x; {batch_net_ms / bare_ms:.1f}x without the eager worker tasks: "
          f"{'met' if batch_net_ms <= 3 * bare_ms else 'NOT met'}); >= 150 messages/s: "
          f"{'met' if 1e3 / batch_ms >= 150 else 'NOT met'} ({1e3 / batch_ms:.0f}/s; {1e3 / batch_net_ms:.0f}/s "
          f"without the eager worker tasks: {'met' if 1e3 / batch_net_ms >= 150 else 'NOT met'})")

    print()
    print(f"Targets, single-message door: intake within 3x of bare parse: "
          f"{'met' if intake_ms <= 3 * bare_ms else 'NOT met'} "
          f"({intake_ms / bare_ms:.1f}x; parse only {parse_ms / bare_ms:.1f}x: "
          f"{'met' if parse_ms <= 3 * bare_ms else 'NOT met'}); "
          f">= 150 messages/s: {'met' if 1e3 / intake_ms >= 150 else 'NOT met'} ({1e3 / intake_ms:.0f}/s; "
          f"{1e3 / net_ms:.0f}/s without the eager worker tasks: {'met' if 1e3 / net_ms >= 150 else 'NOT met'}); "
          f"peak memory < 3x largest message: {'met' if peak_intake < 3 * sizes[largest] else 'NOT met'} "
          f"({peak_intake / sizes[largest]:.1f}x; parse only {peak_parse / sizes[largest]:.1f}x)")
    print(f"Time in PostgreSQL round trips: {db_ms:.2f} ms/message ({db_ms / intake_ms:.0%}), "
          f"{statistics.mean(queries):.1f} statements/message; eager worker tasks (acknowledgement render + "
          f"send) {send_ms:.2f} ms/message and {statistics.mean(worker_queries):.1f} statements/message "
          f"({sent} acknowledgements to the locmem outbox); load average {load_before} before, "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} after")
    print("  by statement: " + ", ".join(
        f"{verb} {count / n:.1f}/msg {seconds / n * 1e3:.2f} ms ({seconds / count * 1e3:.2f} each)"
        for verb, (count, seconds) in sorted(meter.by_verb.items(), key=lambda kv: -kv[1][1])))

    counts = Counter(outcomes)
    unexpected = [(item.kind, item.expect, got) for item, got in zip(items, outcomes) if item.expect != got]
    print("Outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; {len(unexpected)} not as generated"
          + (f" e.g. {Counter(unexpected).most_common(3)}" if unexpected else ""))

    print()
    by_kind = defaultdict(list)
    for index, item in enumerate(items):
        by_kind[item.kind].append(index)
    print(f"{'kind':<16}{'n':>6}{'KiB':>9}{'bare ms':>9}{'parse ms':>10}{'intake ms':>11}{'queries':>9}"
          f"{'worker ms':>11}{'worker qs':>10}")
    for kind, indexes in sorted(by_kind.items(), key=lambda kv: -len(kv[1])):
        def mean(values):
            return statistics.mean(values[i] for i in indexes)
        print(f"{kind:<16}{len(indexes):>6}{mean(sizes) / 1024:>9.1f}{mean(bare) * 1e3:>9.3f}"
              f"{mean(ours_parse) * 1e3:>10.3f}{mean([a - b for a, b in zip(intake, send_seconds)]) * 1e3:>11.2f}"
              f"{mean(queries):>9.1f}{mean(send_seconds) * 1e3:>11.2f}{mean(worker_queries):>10.1f}")

    print()
    off = sum(item.expect != got for item, got in zip(profiled_items, profiled_outcomes))
    print(f"cProfile of the batch door, {len(profiled)} further messages of the same mix "
          f"({profiled_total / len(profiled) * 1e3:.2f} ms/message under the profiler; {off} not as generated):")
    stats = pstats.Stats(profiler)
    for line in profile_report(stats, len(profiled), stats.total_tt):
        print(line)
    print(f"\n{time.perf_counter() - started:.0f} s in all: " + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
