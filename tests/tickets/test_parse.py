"""tickets.mail.parse: raw RFC 5322 bytes -> ParsedMessage, on odd hand-made mail and on the shared corpus.

No database: nothing here uses the `db` fixture.

The corpus test walks ../shared/corpus/mail (see its MANIFEST.md). Left out, because they are not inputs
intake would ever get: MANIFEST.md and README files; the expected-output helpers (*.list, *-summary.txt,
*-offsets.json, mimekit-mbox/jwz.body.N.html, flanker dkim purpose.N / *.expected.N); the extracted
attachment folders mimekit-tnef/<name>/ and zbateson-emails/files/. Everything else is parsed as one raw
input - including raw .tnef blobs and the few binary attachments lying next to messages, which must come
back as UnparseableMessage rather than crash - and each *.mbox.txt is also split into its messages.
"""
from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import os
import signal
import struct
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tickets.mail import parse as parse_module
from tickets.mail.parse import (
    ParsedAttachment,
    ParsedMessage,
    UnparseableMessage,
    decode_bytes,
    html_to_text,
    parse_message,
    sanitize_html,
)

CORPUS = Path(__file__).resolve().parents[2].parent / "shared/corpus/mail"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_corpus(*, fail_in_ci: bool = True) -> Path:
    if not CORPUS.is_dir():
        message = f"shared corpus not found at {CORPUS}"
        if fail_in_ci and IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return CORPUS


def mail(*header_lines: str, body: bytes | str = b"hello\n", nl: bytes = b"\n") -> bytes:
    """Header lines (str, ASCII unless raw bytes are wanted) + blank line + body."""
    head = nl.join(line.encode("utf-8") if isinstance(line, str) else line for line in header_lines)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return head + nl + nl + body


BASE = ("From: Alice Example <Alice@Example.COM>", "To: desk@support.example", "Message-ID: <m1@example.com>",
        "Date: Tue, 07 Jan 2025 10:00:00 +0100", "MIME-Version: 1.0")


# ---------------------------------------------------------------------------------------- charsets
def test_gb2312_declared_body_with_gb18030_only_characters():
    text = "价格 €100 𠀀 完成"
    raw = mail(*BASE, "Subject: gb", "Content-Type: text/plain; charset=gb2312",
               "Content-Transfer-Encoding: 8bit", body=text.encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        text.encode("gb18030").decode("gb2312")     # what a literal reading of the label would do
    parsed = parse_message(raw)
    assert parsed.body_text == text
    assert not any("charset" in d for d in parsed.defects)


def test_big5_declared_body_with_hkscs_character():
    text = "嗰個訂單 已經取消"
    raw = mail(*BASE, "Subject: big5", 'Content-Type: text/plain; charset="big5"',
               "Content-Transfer-Encoding: base64", body=base64.encodebytes(text.encode("big5hkscs")))
    assert parse_message(raw).body_text == text


def test_iso_8859_1_declared_body_with_cp1252_smart_quotes():
    raw = mail(*BASE, "Subject: q", "Content-Type: text/plain; charset=iso-8859-1",
               "Content-Transfer-Encoding: quoted-printable", body=b"He said =93withdraw=94 =80 5 caf=E9\n")
    assert parse_message(raw).body_text == "He said \u201cwithdraw\u201d \u20ac 5 caf\u00e9"


@pytest.mark.parametrize(
    ("label", "data", "expected"),
    [
        ("ks_c_5601-1987", "입금 확인".encode("cp949"), "입금 확인"),
        ("euc-kr", "똠방각하".encode("cp949"), "똠방각하"),          # cp949-only syllable
        ("tis-620", "ถอนเงิน".encode("cp874"), "ถอนเงิน"),
        ("iso-8859-11", "\u0e3f 1".encode("cp874"), "\u0e3f 1"),
        ("shift_jis", "①出金".encode("cp932"), "①出金"),              # NEC special in cp932 only
        ("x-sjis", "出金".encode("cp932"), "出金"),
        ("iso-8859-9", "\u011f \u20ac".encode("cp1254"), "\u011f \u20ac"),
        ("us-ascii", b"\x93ok\x94", "\u201cok\u201d"),
        ("latin1", b"caf\xe9", "caf\u00e9"),
        ("windows-1252", b"\x81", "\x81"),                              # undefined byte -> C1, no error
        ("GBK", "€".encode("gb18030"), "€"),
        ("x-gbk", "汇款".encode("gbk"), "汇款"),
        ("cp936", "汇款".encode("gbk"), "汇款"),
        ("euc-cn", "汇款".encode("gb2312"), "汇款"),
        ("big5", "嗰".encode("big5hkscs"), "嗰"),
        ('"UTF-8"', "Grüße".encode(), "Grüße"),
        ("utf8", "Grüße".encode(), "Grüße"),
    ],
)
def test_charset_labels_map_like_browsers(label, data, expected):
    text, defect = decode_bytes(data, label)
    assert text == expected
    assert defect is None


@pytest.mark.parametrize("label", ["x-unknown", "bogus-charset-9", "unknown-8bit", "", "utf-8\x00", "=?", "*"])
def test_unknown_charset_falls_back_and_never_raises(label):
    text, defect = decode_bytes("naïve".encode(), label)
    assert text == "naïve"
    text, defect = decode_bytes(b"na\xefve \x93x\x94", label)
    assert text == "na\u00efve \u201cx\u201d"
    if label.strip():
        assert defect and "windows-1252" in defect


def test_decode_bytes_never_raises_on_garbage():
    for label in (None, "utf-8", "gb2312", "iso-2022-jp", "utf-16", "big5", "shift_jis", "utf-7", "euc-jp"):
        text, _ = decode_bytes(bytes(range(256)) * 3, label)
        assert isinstance(text, str)


def test_declared_utf8_that_is_really_latin1():
    raw = mail(*BASE, "Subject: x", "Content-Type: text/plain; charset=utf-8", body=b"Gr\xfc\xdfe\n")
    parsed = parse_message(raw)
    assert parsed.body_text == "Grüße"
    assert any("utf-8" in d for d in parsed.defects)


def test_invalid_charset_declared_for_utf8_content():
    raw = mail(*BASE, "Subject: x", "Content-Type: text/plain; charset=x-no-such-thing", body="Grüße ✓".encode())
    parsed = parse_message(raw)
    assert parsed.body_text == "Grüße ✓"
    assert any("unknown charset" in d for d in parsed.defects)


# ------------------------------------------------------------------------------------------ headers
def b64word(charset: str, data: bytes) -> str:
    return f"=?{charset}?B?{base64.b64encode(data).decode()}?="


def test_rfc2047_subject_gb2312_b_and_utf8_q_adjacent_words():
    hello = "你好".encode("gb2312")
    subject = (b64word("gb2312", hello) + " " + b64word("GB2312", "€".encode("gb18030"))
               + "\r\n =?utf-8?Q?_caf=C3=A9_cr=C3=A8me?=" + b64word("utf-8", "提现".encode()) + " end")
    raw = mail(*BASE, f"Subject: {subject}", body=b"x\n")
    assert parse_message(raw).subject == "你好€ café crème提现 end"


def test_rfc2047_multibyte_character_split_across_words():
    data = "你好吗".encode()
    subject = b64word("utf-8", data[:4]) + " " + b64word("utf-8", data[4:])
    assert parse_message(mail(*BASE, f"Subject: {subject}")).subject == "你好吗"


def test_rfc2047_tolerates_broken_words_and_collapses_whitespace():
    subject = "=?utf-8?B?5L2g5aW9?=   \t spaced  =?utf-8?B?!!!notb64?= =?no-such?Q?x?= =?utf-8?q?a b?="
    parsed = parse_message(mail(*BASE, f"Subject: {subject}"))
    assert parsed.subject.startswith("你好 spaced")
    assert "  " not in parsed.subject


def test_raw_8bit_headers_are_sniffed():
    utf8 = mail(b"From: =?utf-8?Q?J=C3=BCrgen?= <Juergen@Example.COM>",
                b"Subject: \xe6\x8f\x90\xe7\x8e\xb0 Gr\xc3\xbc\xc3\x9fe")
    parsed = parse_message(utf8)
    assert parsed.subject == "提现 Grüße"
    assert (parsed.from_name, parsed.from_email) == ("Jürgen", "juergen@example.com")
    gbk = mail(b"From: a@b.example", b"Subject: " + "出金申请".encode("gbk"))
    assert parse_message(gbk).subject == "出金申请"
    latin = mail(b"From: a@b.example", b"Subject: Caf\xe9 au lait")
    assert parse_message(latin).subject == "Café au lait"


def test_addresses_lowercased_and_decoded():
    raw = mail('From: "Doe, Jane" <Jane.Doe@Example.com>', "To: Desk <DESK@support.example>, bob@x.example",
               "Cc: =?utf-8?B?w4l2YQ==?= <Eva@Example.org>, not-an-address, undisclosed-recipients:;",
               "Reply-To: <Replies@Example.com>", "Subject: hi")
    parsed = parse_message(raw)
    assert (parsed.from_name, parsed.from_email) == ("Doe, Jane", "jane.doe@example.com")
    assert parsed.to == ["desk@support.example", "bob@x.example"]
    assert parsed.cc == ["eva@example.org"]
    assert parsed.reply_to == "replies@example.com"


def test_in_reply_to_and_references_with_junk_between_ids():
    raw = mail(*BASE, "Subject: Re: x",
               "In-Reply-To: <abc.1@mail.example> (John's message of \"Mon, 6 Jan 2025\")",
               "References: <root@example.com> junk, more junk\r\n\t<mid@example.com>,<abc.1@mail.example>"
               " (comment <not.an.id@x> (nested)) <root@example.com> <prose in brackets>")
    parsed = parse_message(raw)
    assert parsed.in_reply_to == ["abc.1@mail.example"]
    assert parsed.references == ["root@example.com", "mid@example.com", "abc.1@mail.example"]
    assert parsed.message_id == "m1@example.com" and not parsed.message_id_generated


def test_envelope_recipients_from_delivered_to():
    raw = mail("Delivered-To: Support+T0K3N@desk.example", "X-Original-To: support+t0k3n@desk.example",
               "Delivered-To: archive@desk.example", "Envelope-To: <Other@desk.example>", *BASE, "Subject: x")
    parsed = parse_message(raw)
    assert parsed.envelope_recipients == ["support+t0k3n@desk.example", "archive@desk.example", "other@desk.example"]


def test_missing_message_id_gives_deterministic_generated_id():
    raw = mail("From: a@b.example", "Subject: no id")
    first, second = parse_message(raw), parse_message(raw)
    expected = hashlib.sha256(raw).hexdigest()[:32] + "@generated.invalid"
    assert first.message_id == second.message_id == expected
    assert first.message_id_generated
    assert parse_message(raw + b"!").message_id != expected
    assert parse_message(mail("From: a@b.example", "Message-ID: <>")).message_id_generated
    assert parse_message(mail("From: a@b.example", "Message-ID:   bare-id@host  ")).message_id == "bare-id@host"


def test_missing_from():
    parsed = parse_message(mail("To: desk@support.example", "Subject: who am I", "Message-ID: <x@y>"))
    assert parsed.from_email == ""
    assert "missing From" in parsed.defects
    garbage = parse_message(mail("From: just a name", "Subject: s"))
    assert garbage.from_email == ""
    assert any("From" in d for d in garbage.defects)


def test_without_a_usable_from_the_sender_comes_from_sender_reply_to_or_return_path():
    reply_to = parse_message(mail("To: desk@support.example", "Reply-To: Ann <Ann@Example.org>", "Subject: s"))
    assert (reply_to.from_email, reply_to.from_name) == ("ann@example.org", "Ann")
    assert "missing From" in reply_to.defects and "sender taken from Reply-To (no usable From)" in reply_to.defects
    both = parse_message(mail("From: just a name", "Sender: sec@example.org", "Reply-To: ann@example.org", "Subject: s"))
    assert (both.from_email, both.from_name) == ("sec@example.org", "just a name")
    envelope = parse_message(mail("Return-Path: <bob@example.org>", "Subject: s"))
    assert envelope.from_email == "bob@example.org"
    # A From wins over all of them; a bounce or an auto-reply keeps no sender (nobody to open a ticket for).
    assert parse_message(mail("From: a@example.org", "Reply-To: b@example.org")).from_email == "a@example.org"
    bounce = parse_message(mail(
        "Return-Path: <>", "Reply-To: b@example.org", "Subject: Undelivered Mail Returned to Sender",
        body="This is the mail system at host mx.example.\n\nI'm sorry to have to inform you that your message could not\n"
             "be delivered to one or more recipients.\n\n<gone@example.org>: host said: 550 5.1.1 User unknown\n",
    ))
    assert bounce.bounce_reason and bounce.from_email == ""
    auto = parse_message(mail("Reply-To: b@example.org", "Auto-Submitted: auto-replied", "Subject: Out of office"))
    assert auto.auto_reply_reason and auto.from_email == ""
    assert parse_message(mail("Return-Path: <>", "Subject: s")).from_email == ""


SAVED = mail("From: a@example.org", "Subject: Gespeichert in Notepad", "Message-ID: <saved@x>",
             "Content-Type: text/plain; charset=utf-8", body="Grüße\n", nl=b"\r\n")


@pytest.mark.parametrize(
    "wrapped, note",
    [
        (b"\xef\xbb\xbf" + SAVED, "byte-order mark before the headers ignored"),  # Windows editors
        (SAVED.decode().encode("utf-16"), "the message was saved in UTF-16; read as UTF-8"),  # with its BOM
        (b"\xfe\xff" + SAVED.decode().encode("utf-16-be"), "the message was saved in UTF-16; read as UTF-8"),
        (SAVED.decode().encode("utf-16-le"), "the message was saved in UTF-16; read as UTF-8"),  # PowerShell, no BOM
        (b"\r\n\r\n" + SAVED, "blank lines or spaces before the headers ignored"),  # a pipe
        (b"  \n" + SAVED, "blank lines or spaces before the headers ignored"),  # a paste
        (b"\n" + b"From a@example.org Mon Jan  1 00:00:00 2026\n" + SAVED, "blank lines or spaces before the headers ignored"),
    ],
)
def test_what_editors_and_pipes_put_around_a_saved_message_is_looked_past(wrapped, note):
    """The stdlib sees no header at all behind any of these: the sender, subject and Message-ID were lost."""
    parsed = parse_message(wrapped)
    assert (parsed.from_email, parsed.subject, parsed.message_id) == ("a@example.org", "Gespeichert in Notepad", "saved@x")
    assert parsed.body_text.strip() == "Grüße"
    assert note in parsed.defects
    assert parse_message(SAVED).defects == []  # nothing to look past: nothing said


def test_a_headerless_text_stays_a_headerless_text():
    for raw in (b"\xef\xbb\xbf\r\n", b"\n\n\n"):
        with pytest.raises(UnparseableMessage):
            parse_message(raw)
    parsed = parse_message(b"\r\nJust some words, no header.\r\n")
    assert parsed.from_email == "" and "no header block; the whole input taken as the body" in parsed.defects
    assert "Just some words" in parsed.body_text


def test_date_is_aware_or_none():
    assert parse_message(mail(*BASE)).date == datetime(2025, 1, 7, 9, 0, tzinfo=timezone.utc)
    assert parse_message(mail("From: a@b.example", "Date: Tue, 7 Jan 2025 10:00:00 -0000")).date.tzinfo is not None
    parsed = parse_message(mail("From: a@b.example", "Date: the day after tomorrow"))
    assert parsed.date is None and "unparseable Date" in parsed.defects


def test_content_language():
    raw = mail(*BASE, "Content-Language: de-DE", "Subject: s")
    assert parse_message(raw).language == "de-DE"
    assert parse_message(mail(*BASE)).language == ""


# ------------------------------------------------------------------------------------------- bodies
def test_html_only_body_is_sanitised_and_gives_text():
    html = ("<html><head><title>T</title><style>p{color:red}</style></head><body>"
            "<p onclick=\"steal()\">Dear&nbsp;desk,</p><script>alert('x')</script>"
            "<p>Please check <a href=\"https://example.com/tx?id=1\" onmouseover=\"x()\">my deposit</a>"
            " &amp; <a href=\"javascript:alert(1)\">this</a><br>thanks</p><!-- secret -->"
            "<ul><li>one</li><li>two</li></ul><img src=\"data:image/png;base64,AAAA\"></body></html>")
    raw = mail(*BASE, "Subject: html", "Content-Type: text/html; charset=utf-8", body=html)
    parsed = parse_message(raw)
    assert "<script" not in parsed.body_html and "alert" not in parsed.body_html
    assert "onclick" not in parsed.body_html and "onmouseover" not in parsed.body_html
    assert "secret" not in parsed.body_html and "color:red" not in parsed.body_html
    assert 'href="https://example.com/tx?id=1"' in parsed.body_html
    assert 'rel="noopener noreferrer"' in parsed.body_html
    assert "javascript:" not in parsed.body_html and "data:image" not in parsed.body_html
    assert parsed.body_text == "Dear desk,\n\nPlease check my deposit & this\nthanks\n\n- one\n- two"


def test_multipart_alternative_prefers_plain_text_and_keeps_html():
    raw = mail(*BASE, "Subject: alt", 'Content-Type: multipart/alternative; boundary="ALT"', body=(
        "--ALT\nContent-Type: text/plain; charset=utf-8\n\nPlain version\n"
        "--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>HTML <b>version</b></p>\n--ALT--\n"))
    parsed = parse_message(raw)
    assert parsed.body_text == "Plain version"
    assert parsed.body_html == "<p>HTML <b>version</b></p>"
    assert parsed.attachments == []


def test_alternative_with_blank_plain_part_uses_html():
    raw = mail(*BASE, 'Content-Type: multipart/alternative; boundary="ALT"', body=(
        "--ALT\nContent-Type: text/plain\n\n   \n--ALT\nContent-Type: text/html\n\n<div>Only html</div>\n--ALT--\n"))
    assert parse_message(raw).body_text == "Only html"


def test_multipart_mixed_concatenates_inline_text_parts():
    raw = mail(*BASE, 'Content-Type: multipart/mixed; boundary="MIX"', body=(
        "--MIX\nContent-Type: text/plain\n\nFirst part.\n"
        "--MIX\nContent-Type: application/pdf; name=statement.pdf\nContent-Transfer-Encoding: base64\n\n"
        "JVBERi0xLjQK\n"
        "--MIX\nContent-Type: text/plain; charset=iso-8859-1\nContent-Disposition: inline\n\nSecond part \xe9.\n"
        "--MIX\nContent-Type: text/plain; name=log.txt\nContent-Disposition: attachment; filename=log.txt\n\n"
        "attached log\n--MIX--\n").encode("latin-1"))
    parsed = parse_message(raw)
    assert parsed.body_text == "First part.\n\nSecond part é."
    assert [(a.filename, a.content_type, a.payload) for a in parsed.attachments] == [
        ("statement.pdf", "application/pdf", b"%PDF-1.4\n"), ("log.txt", "text/plain", b"attached log")]


def test_inline_image_in_multipart_related():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
    raw = mail(*BASE, "Subject: screenshot", 'Content-Type: multipart/related; boundary="REL"; type="text/html"', body=(
        "--REL\nContent-Type: text/html; charset=utf-8\n\n<p>See <img src=\"cid:shot1@local\" alt=\"shot\"></p>\n"
        "--REL\nContent-Type: image/png\nContent-Transfer-Encoding: base64\nContent-ID: <shot1@local>\n"
        "Content-Disposition: inline\n\n" + base64.encodebytes(png).decode() +
        "--REL\nContent-Type: image/png\nContent-Transfer-Encoding: base64\nContent-ID: <noname@local>\n\n"
        + base64.encodebytes(png).decode() + "--REL--\n"))
    parsed = parse_message(raw)
    assert 'src="cid:shot1@local"' in parsed.body_html
    assert parsed.body_text == "See"
    first, second = parsed.attachments
    assert (first.filename, first.content_type, first.content_id, first.inline) == (
        "image-1.png", "image/png", "shot1@local", True)
    assert first.payload == png and first.size == len(png)
    assert first.md5 == hashlib.md5(png).hexdigest() and first.sha256 == hashlib.sha256(png).hexdigest()
    assert second.filename == "image-2.png" and second.inline


def test_related_with_html_root_not_first_mhtml_style():
    raw = mail(*BASE, 'Content-Type: multipart/related; boundary="R"; type="text/html"', body=(
        "--R\nContent-Type: image/gif\nContent-Location: a.gif\n\nGIF89a\n"
        "--R\nContent-Type: text/html\n\n<p>root html</p>\n--R--\n"))
    parsed = parse_message(raw)
    assert parsed.body_text == "root html"
    assert [a.content_type for a in parsed.attachments] == ["image/gif"]


def test_nested_rfc822_is_kept_whole_with_original_bytes():
    inner = (b"From: Bob <bob@example.org>\r\nSubject: =?utf-8?Q?Original_=C3=BCber?=\r\n"
             b"Content-Type: multipart/mixed; boundary=\"IN\"\r\n\r\n--IN\r\nContent-Type: text/plain\r\n\r\n"
             b"inner body\r\n--IN\r\nContent-Type: application/pdf; name=inner.pdf\r\n\r\n%PDF\r\n--IN--\r\n")
    raw = mail(*BASE, "Subject: Fwd", 'Content-Type: multipart/mixed; boundary="OUT"', nl=b"\r\n", body=(
        b"--OUT\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
        b"--OUT\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n" + inner +
        b"\r\n--OUT--\r\n"))
    parsed = parse_message(raw)
    assert parsed.body_text == "see attached"
    assert len(parsed.attachments) == 1           # inner.pdf stays inside the .eml
    eml = parsed.attachments[0]
    assert (eml.filename, eml.content_type) == ("Original über.eml", "message/rfc822")
    assert eml.payload == inner
    nested = parse_message(eml.payload)
    assert nested.subject == "Original über" and nested.attachments[0].filename == "inner.pdf"


def test_nested_rfc822_without_subject():
    raw = mail(*BASE, 'Content-Type: multipart/mixed; boundary="O"', body=(
        "--O\nContent-Type: text/plain\n\nx\n--O\nContent-Type: message/rfc822\n\nFrom: a@b.example\n\nhi\n--O--\n"))
    assert [a.filename for a in parse_message(raw).attachments] == ["message.eml"]


def test_broken_boundary_is_recovered():
    raw = mail(*BASE, "Subject: broken", 'Content-Type: multipart/mixed; boundary="DECLARED"', body=(
        "--ACTUAL_BOUNDARY\nContent-Type: text/plain\n\nrecovered text\n"
        "--ACTUAL_BOUNDARY\nContent-Type: application/zip; name=a.zip\nContent-Transfer-Encoding: base64\n\n"
        "UEsDBA==\n--ACTUAL_BOUNDARY--\n"))
    parsed = parse_message(raw)
    assert parsed.body_text == "recovered text"
    assert [(a.filename, a.payload) for a in parsed.attachments] == [("a.zip", b"PK\x03\x04")]
    assert "multipart boundary recovered from the body" in parsed.defects


def test_missing_boundary_keeps_text():
    raw = mail(*BASE, "Subject: nb", "Content-Type: multipart/mixed", body="just some text\nwith lines\n")
    parsed = parse_message(raw)
    assert "just some text" in parsed.body_text
    assert any("boundary" in d for d in parsed.defects)


def test_missing_close_boundary_and_truncated_part():
    raw = mail(*BASE, 'Content-Type: multipart/mixed; boundary="B"', body=(
        "--B\nContent-Type: text/plain\n\nfirst\n--B\nContent-Type: image/jpeg; name=x.jpg\n"
        "Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRgABAQ"))
    parsed = parse_message(raw)
    assert parsed.body_text == "first"
    assert parsed.attachments[0].filename == "x.jpg"
    assert parsed.attachments[0].payload.startswith(b"\xff\xd8\xff")


def test_rfc2231_filename_with_continuation_and_charset():
    raw = mail(*BASE, 'Content-Type: multipart/mixed; boundary="B"', body=(
        "--B\nContent-Type: text/plain\n\nbody\n"
        "--B\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
        " filename*0*=utf-8''%E6%96%87; filename*1*=%E4%BB%B6.pdf\n\nx\n"
        "--B\nContent-Type: application/pdf; name*=gb2312''%CE%C4%BC%FE%A2%E3.pdf\n\nx\n"
        "--B\nContent-Type: application/pdf\nContent-Disposition: attachment;\n"
        " filename*0=\"long name \"; filename*1=\"in two.pdf\"\n\nx\n"
        "--B\nContent-Type: application/pdf\nContent-Disposition: attachment;"
        " filename=\"=?gb2312?B?yOu98C5wZGY=?=\"\n\nx\n"
        "--B\nContent-Type: application/octet-stream\nContent-Disposition: attachment;"
        " filename=\"..\\\\..\\\\etc/pa\x07ss\u202ewd\"\n\nx\n"
        "--B--\n"))
    names = [a.filename for a in parse_message(raw).attachments]
    assert names == ["文件.pdf", "文件€.pdf", "long name in two.pdf", "入金.pdf", "passwd"]


def test_raw_8bit_filename():
    raw = mail(*BASE, b'Content-Type: multipart/mixed; boundary="B"', body=(
        b"--B\nContent-Type: text/plain\n\nbody\n--B\nContent-Type: application/pdf\n"
        b"Content-Disposition: attachment; filename=\"" + "выписка.pdf".encode() + b"\"\n\nx\n--B--\n"))
    assert parse_message(raw).attachments[0].filename == "выписка.pdf"


def test_filename_sanitising_and_defaults():
    long_name = "a" * 300 + ".pdf"
    raw = mail(*BASE, 'Content-Type: multipart/mixed; boundary="B"', body=(
        "--B\nContent-Type: text/plain\n\nbody\n"
        f"--B\nContent-Type: application/pdf; name=\"{long_name}\"\n\nx\n"
        "--B\nContent-Type: application/octet-stream\n\nx\n"
        "--B\nContent-Type: image/jpeg\n\nx\n"
        "--B\nContent-Type: nonsense\n\nx\n"
        "--B--\n"))
    names = [a.filename for a in parse_message(raw).attachments]
    assert names[0].endswith(".pdf") and len(names[0]) == 200
    assert names[1:] == ["attachment-2.bin", "image-3.jpg"]
    assert len(names) == 3      # "nonsense" is not a type: RFC 2045 says read it as text/plain (body)


# -------------------------------------------------------------------------------------------- TNEF
def tnef_blob(files: list[tuple[bytes, bytes]], body: bytes | None = None) -> bytes:
    """A minimal TNEF stream: version, optional body, then per file attRendData/attAttachTitle/attAttachData."""
    def obj(level: int, name: int, kind: int, data: bytes) -> bytes:
        return struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    out = struct.pack("<IH", 0x223E9F78, 1) + obj(1, 0x9006, 0x0008, struct.pack("<I", 0x10000))
    if body is not None:
        out += obj(1, 0x800C, 0x0002, body)
    for name, data in files:
        out += obj(2, 0x9002, 0x0006, b"\x01\x00" + b"\x00" * 12)
        out += obj(2, 0x8010, 0x0001, name + b"\x00")
        out += obj(2, 0x800F, 0x0006, data)
    return out


def tnef_mail(blob: bytes, text: str | None = None) -> bytes:
    parts = ""
    if text is not None:
        parts += f"--T\nContent-Type: text/plain\n\n{text}\n"
    parts += ("--T\nContent-Type: application/ms-tnef; name=\"winmail.dat\"\nContent-Transfer-Encoding: base64\n"
              "Content-Disposition: attachment; filename=\"winmail.dat\"\n\n" + base64.encodebytes(blob).decode()
              + "--T--\n")
    return mail(*BASE, "Subject: tnef", 'Content-Type: multipart/mixed; boundary="T"', body=parts)


def test_tnef_attachments_are_unpacked():
    raw = tnef_mail(tnef_blob([(b"report.csv", b"a,b\n1,2\n"), (b"notes.txt", b"hello")]), text="see files")
    parsed = parse_message(raw)
    assert parsed.body_text == "see files"
    assert [(a.filename, a.payload) for a in parsed.attachments] == [
        ("report.csv", b"a,b\n1,2\n"), ("notes.txt", b"hello")]
    assert parsed.attachments[0].content_type == "text/csv"


def test_tnef_body_used_when_message_has_none():
    parsed = parse_message(tnef_mail(tnef_blob([], body=b"Body from Outlook\x00")))
    assert parsed.body_text == "Body from Outlook"
    assert "body taken from the TNEF (winmail.dat) part" in parsed.defects


def test_broken_tnef_is_kept_as_is():
    parsed = parse_message(tnef_mail(b"\x78\x9f\x3e\x22\x01\x00" + b"\xff" * 40, text="hi"))
    assert [a.filename for a in parsed.attachments] == ["winmail.dat"]
    assert any("TNEF" in d for d in parsed.defects)
    hostile = tnef_blob([(b"x", b"y")]) + struct.pack("<BHHI", 1, 0x9003, 6, 8) + struct.pack("<II", 0xFFFFFFFF, 0)
    started = time.perf_counter()
    parsed = parse_message(tnef_mail(hostile, text="hi"))
    assert time.perf_counter() - started < 2
    assert any("implausible property count" in d for d in parsed.defects)


def test_tnef_from_corpus():
    folder = CORPUS / "tnefparse-tnef"
    if not folder.is_dir():
        pytest.skip(f"TNEF corpus not found at {folder}")
    parsed = parse_message(tnef_mail((folder / "two-files.tnef").read_bytes(), text="two files"))
    assert [(a.filename, a.size) for a in parsed.attachments] == [("AUTHORS", 244), ("README", 893)]
    rtf_only = parse_message(tnef_mail((folder / "rtf.tnef").read_bytes()))
    assert "Greg Allen" in rtf_only.body_text                      # compressed RTF body, decompressed here
    html_only = parse_message(tnef_mail((folder / "body.tnef").read_bytes()))
    assert html_only.body_html and html_only.body_text
    with pytest.raises(UnparseableMessage, match="TNEF"):
        parse_message((folder / "one-file.tnef").read_bytes())      # a bare blob is not an e-mail


# ------------------------------------------------------------------------------ auto-reply / bounce
def test_auto_reply_by_auto_submitted():
    parsed = parse_message(mail(*BASE, "Subject: Out of office", "Auto-Submitted: auto-replied (vacation)"))
    assert parsed.auto_reply_reason.startswith("Auto-Submitted: auto-replied")
    assert parsed.bounce_reason == ""
    assert parse_message(mail(*BASE, "Auto-Submitted: auto-generated")).auto_reply_reason


def test_auto_reply_by_precedence_bulk():
    parsed = parse_message(mail(*BASE, "Subject: Newsletter", "Precedence: bulk"))
    assert parsed.auto_reply_reason == "Precedence: bulk"
    listy = parse_message(mail(*BASE, "Precedence: list", "List-Id: <traders.lists.example>"))
    assert "mailing list" in listy.auto_reply_reason


def test_auto_reply_by_x_autoreply_and_friends():
    assert parse_message(mail(*BASE, "X-Autoreply: yes")).auto_reply_reason == "X-Autoreply"
    assert parse_message(mail(*BASE, "X-Autorespond: Thanks")).auto_reply_reason == "X-Autorespond"
    assert "OOF" in parse_message(mail(*BASE, "X-Auto-Response-Suppress: OOF, DR")).auto_reply_reason
    assert parse_message(mail(*BASE, "Subject: Automatic reply: deposit")).auto_reply_reason


def test_auto_submitted_no_is_not_an_auto_reply():
    parsed = parse_message(mail(*BASE, "Subject: real question", "Auto-Submitted: no", "Precedence: normal",
                                "X-Auto-Response-Suppress: DR, RN"))
    assert parsed.auto_reply_reason == "" and parsed.bounce_reason == ""


def test_dsn_multipart_report_is_a_bounce():
    raw = mail("From: Mail Delivery System <MAILER-DAEMON@mx.example.net>", "To: desk@support.example",
               "Subject: Undelivered Mail Returned to Sender", "Auto-Submitted: auto-replied",
               "Message-ID: <dsn1@mx.example.net>",
               'Content-Type: multipart/report; report-type=delivery-status; boundary="R"', body=(
                   "--R\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n"
                   "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
                   "Final-Recipient: rfc822; gone@customer.example\nAction: failed\nStatus: 5.1.1\n"
                   "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
                   "--R\nContent-Type: text/rfc822-headers\n\nMessage-ID: <sup-1@support.example>\n"
                   "Subject: [SUP-ABC123] your ticket\n--R--\n"))
    parsed = parse_message(raw)
    assert parsed.bounce_reason.startswith("delivery status notification: failed 5.1.1 for gone@customer.example")
    assert "550 5.1.1 User unknown" in parsed.bounce_reason
    assert {a.content_type for a in parsed.attachments} == {"message/delivery-status", "text/rfc822-headers"}


def test_mailer_daemon_bounce_without_report():
    raw = mail("From: MAILER-DAEMON@mail.example.org", "To: desk@support.example", "Return-Path: <>",
               "Subject: failure notice", body=(
                   "Hi. This is the qmail-send program at mail.example.org.\n"
                   "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                   "<gone@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n"))
    parsed = parse_message(raw)
    assert parsed.bounce_reason.startswith("bounce from mailer-daemon@mail.example.org")
    assert parsed.auto_reply_reason == ""


def test_ordinary_mail_from_a_customer_is_neither():
    raw = mail(*BASE, "Subject: Withdrawal not delivered to my wallet",
               body="My withdrawal was not delivered, the transfer failed. Please help.\n")
    parsed = parse_message(raw)
    assert parsed.bounce_reason == "" and parsed.auto_reply_reason == ""


def test_read_receipt_is_auto_reply_not_bounce():
    raw = mail(*BASE, "Subject: Read: ticket",
               'Content-Type: multipart/report; report-type=disposition-notification; boundary="R"', body=(
                   "--R\nContent-Type: text/plain\n\nYour message was displayed.\n"
                   "--R\nContent-Type: message/disposition-notification\n\n"
                   "Final-Recipient: rfc822; a@b.example\nDisposition: manual-action/MDN-sent-manually; displayed\n"
                   "--R--\n"))
    parsed = parse_message(raw)
    assert parsed.auto_reply_reason.startswith("read receipt") and parsed.bounce_reason == ""


# ------------------------------------------------------------------------------- not a message / limits
@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\x78\x9f\x3e\x22\x01\x00" + bytes(200),
                                 b"\x89PNG\r\n\x1a\n" + bytes(range(256))])
def test_unparseable_inputs(raw):
    with pytest.raises(UnparseableMessage) as info:
        parse_message(raw)
    assert info.value.reason


def test_headerless_text_is_returned_with_a_defect():
    parsed = parse_message(b"I lost access to my account, please help\n")
    assert parsed.from_email == "" and "help" in parsed.body_text
    assert any("no header block" in d for d in parsed.defects)


def test_deep_nesting_is_bounded():
    def nested(levels: int) -> bytes:
        raw = b"From: a@b.example\nSubject: deep\n"
        for i in range(levels):
            raw += b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i)
        raw += b"Content-Type: text/plain\n\nhello\n"
        return raw + b"".join(b"--b%d--\n" % i for i in reversed(range(levels)))

    started = time.perf_counter()
    shallow = parse_message(nested(20))
    assert shallow.body_text == "hello"
    for levels in (45, 5000):
        parsed = parse_message(nested(levels))
        assert any("deeper than" in d for d in parsed.defects)
    assert time.perf_counter() - started < 3


def test_part_count_and_attachment_budget(monkeypatch):
    many = mail(*BASE, 'Content-Type: multipart/mixed; boundary="x"', body=b"".join(
        b"--x\nContent-Type: application/octet-stream\n\nabc\n" for _ in range(1500)) + b"--x--\n")
    parsed = parse_message(many)
    assert len(parsed.attachments) < 1000 and any("MIME parts" in d for d in parsed.defects)
    monkeypatch.setattr(parse_module, "MAX_ATTACHMENT_BYTES", 10)
    small = mail(*BASE, 'Content-Type: multipart/mixed; boundary="x"', body=(
        "--x\nContent-Type: text/plain\n\nbody\n--x\nContent-Type: image/png; name=a.png\n\n12345678\n"
        "--x\nContent-Type: image/png; name=b.png\n\n12345678\n--x--\n"))
    parsed = parse_message(small)
    assert [a.filename for a in parsed.attachments] == ["a.png"]
    assert any("skipped" in d for d in parsed.defects)


def test_body_text_is_capped(monkeypatch):
    monkeypatch.setattr(parse_module, "MAX_BODY_CHARS", 100)
    parsed = parse_message(mail(*BASE, body=b"x" * 1000))
    assert len(parsed.body_text) == 100 and any("cut" in d for d in parsed.defects)


@pytest.mark.parametrize("html", [
    "<div>" * 100_000, "".join(f"<font size={i}>x" for i in range(50_000)),
    "<b>x</p>" * 50_000, "<" * 500_000, "<!--" * 100_000, '<a href="' * 100_000,
])
def test_pathological_html_is_cheap(html):
    started = time.perf_counter()
    parsed = parse_message(mail(*BASE, "Content-Type: text/html", body=html))
    assert isinstance(parsed, ParsedMessage)
    assert time.perf_counter() - started < 3


def test_hostile_headers_are_cheap():
    started = time.perf_counter()
    quadratic = mail("From: a@b.example", 'Content-Type: multipart/mixed; x="' + ";" * 300_000 + '"; boundary=z',
                     body="--z\n\nhi\n--z--\n")
    assert isinstance(parse_message(quadratic), ParsedMessage)
    parse_message(mail("From: " + '"a" <a@b.example>, ' * 50_000, "Subject: " + "=?utf-8?q?" * 100_000))
    parse_message(mail("From: a@b.example", "References: " + "<" * 300_000))
    assert time.perf_counter() - started < 5


def test_sanitize_html_and_html_to_text_directly():
    assert sanitize_html('<a href="mailto:x@y.example" target="_blank" style="x">m</a>') == (
        '<a href="mailto:x@y.example" rel="noopener noreferrer">m</a>')
    assert sanitize_html('<img src="cid:a" onerror="x()" width="3"><iframe src="https://e"></iframe>') == (
        '<img src="cid:a" width="3">')
    assert sanitize_html('<a href="/relative">r</a><table><tr><td colspan="2" bgcolor="red">c</td></tr></table>') == (
        '<a rel="noopener noreferrer">r</a><table><tbody><tr><td colspan="2">c</td></tr></tbody></table>')
    assert html_to_text("<h1>Title</h1><p>a&lt;b &eacute;</p><pre>  keep\n    indent</pre><table><tr><td>1</td>"
                        "<td>2</td></tr></table>") == "Title\n\na<b é\n\n  keep\n    indent\n\n1\t2"
    assert html_to_text("") == "" and sanitize_html("") == ""


def test_uuencoded_and_quoted_printable_parts():
    import binascii

    data = b"binary\x00\x01 data" * 3
    uu = b"begin 644 data.bin\n" + binascii.b2a_uu(data) + b"`\nend\n"
    raw = mail(*BASE, b'Content-Type: multipart/mixed; boundary="B"', body=(
        b"--B\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        b"soft=\nbreak =E2=9C=93\n--B\nContent-Type: application/octet-stream; name=data.bin\n"
        b"Content-Transfer-Encoding: x-uuencode\n\n" + uu + b"--B--\n"))
    parsed = parse_message(raw)
    assert parsed.body_text == "softbreak ✓"
    assert parsed.attachments[0].payload == data


def test_crlf_and_cr_only_line_endings():
    crlf = mail(*BASE, "Subject: crlf", 'Content-Type: multipart/alternative; boundary="A"', nl=b"\r\n", body=(
        b"--A\r\nContent-Type: text/plain\r\n\r\nline one\r\nline two\r\n--A--\r\n"))
    assert parse_message(crlf).body_text == "line one\nline two"
    cr = b"From: a@b.example\rSubject: old mac\r\rline one\rline two\r"
    parsed = parse_message(cr)
    assert parsed.subject == "old mac" and parsed.body_text == "line one\nline two"


def test_attachment_dataclass_properties():
    attachment = ParsedAttachment(filename="a.txt", content_type="text/plain", payload=b"abc")
    assert (attachment.size, attachment.content_id, attachment.inline) == (3, "", False)
    assert attachment.md5 == "900150983cd24fb0d6963f7d28e17f72"
    assert attachment.sha256 == hashlib.sha256(b"abc").hexdigest()


SEED = mail(*BASE, "Subject: =?utf-8?B?5L2g5aW9?=", 'Content-Type: multipart/mixed; boundary="S"', body=(
    "--S\nContent-Type: multipart/alternative; boundary=\"A\"\n\n--A\nContent-Type: text/plain; charset=gb2312\n\n"
    "plain\n--A\nContent-Type: text/html\n\n<p>x</p>\n--A--\n--S\nContent-Type: message/rfc822\n\n"
    "From: q@w.example\nSubject: in\n\nbody\n--S\nContent-Type: application/ms-tnef\nContent-Transfer-Encoding: base64"
    "\n\neJ8+IgEA\n--S\nContent-Type: image/png; name*0*=utf-8''%E6%96; name*1*=%87.png\n\nabc\n--S--\n"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_messages_never_crash(data):
    raw = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 8))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        where = data.draw(st.integers(0, len(raw)))
        if action == "flip" and where < len(raw):
            raw[where] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del raw[where:where + data.draw(st.integers(1, 40))]
        elif action == "insert":
            raw[where:where] = data.draw(st.sampled_from(
                [b"\n", b"\r", b"--S\n", b"--A--\n", b"=?", b"?=", b";", b'"', b"\x00", b"\xff\xfe", b"*0*=", b"%",
                 b"Content-Type: multipart/mixed; boundary=S\n", b"Content-Transfer-Encoding: base64\n", b"<"]))
        else:
            chunk = bytes(raw[where:where + 60])
            raw[where:where] = chunk
    try:
        parsed = parse_message(bytes(raw))
    except UnparseableMessage as exc:
        assert exc.reason
        return
    assert isinstance(parsed, ParsedMessage)
    assert not [d for d in parsed.defects if d.startswith("internal error")], parsed.defects
    for text in (parsed.subject, parsed.body_text, parsed.body_html, parsed.from_name, parsed.message_id,
                 *parsed.references, *(a.filename for a in parsed.attachments)):
        text.encode("utf-8")                                     # no lone surrogates
        assert "\x00" not in text


# --------------------------------------------------------------------------------------------- corpus
HELPER_SUFFIXES = (".list", "-summary.txt", "-offsets.json")


def corpus_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        name = path.name
        if rel == "MANIFEST.md" or name.startswith("README") or name.endswith(HELPER_SUFFIXES):
            continue
        if rel.startswith("mimekit-tnef/") and rel.count("/") >= 2:       # extracted attachments
            continue
        if rel.startswith("zbateson-emails/files/"):                       # original attachment files
            continue
        if rel.startswith("mimekit-mbox/jwz.body."):                       # expected HTML bodies
            continue
        if rel.startswith("flanker-msgs/dkim/") and (name.startswith("purpose.") or ".expected." in name):
            continue
        files.append(path)
    return files


def split_mbox(raw: bytes) -> list[bytes]:
    messages, current = [], []
    for line in raw.splitlines(keepends=True):
        if line.startswith(b"From ") and current and (len(current) < 2 or not current[-1].strip()):
            messages.append(b"".join(current))
            current = []
        current.append(line)
    if current:
        messages.append(b"".join(current))
    return messages


class Hang(Exception):
    pass


@contextmanager
def time_limit(seconds: int):
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"no result within {seconds}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_corpus_parses_without_crashing():
    root = need_corpus()
    files = corpus_files(root)
    assert files, f"no files under {root}"
    counts = dict(files=0, mbox_messages=0, parsed=0, unparseable=0, with_defects=0, bounce=0, auto_reply=0)
    sisimai = dict(total=0, bounce=0, auto_reply=0, flagged=0)
    failures: list[str] = []
    unparseable_eml: list[str] = []
    started = time.perf_counter()
    compat32_seconds = 0.0

    inputs: list[tuple[str, bytes]] = []
    for path in files:
        raw = path.read_bytes()
        rel = path.relative_to(root).as_posix()
        inputs.append((rel, raw))
        counts["files"] += 1
        if rel.endswith(".mbox.txt"):
            for index, message in enumerate(split_mbox(raw)):
                inputs.append((f"{rel}#{index}", message))
                counts["mbox_messages"] += 1

    for rel, raw in inputs:
        try:
            with time_limit(10):
                result = parse_message(raw)
        except UnparseableMessage as exc:
            counts["unparseable"] += 1
            if not exc.reason:
                failures.append(f"{rel}: UnparseableMessage without a reason")
            if rel.endswith(".eml") and raw.strip():
                unparseable_eml.append(f"{rel}: {exc.reason}")
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test
            failures.append(f"{rel}: {type(exc).__name__}: {exc}"[:300])
            continue
        counts["parsed"] += 1
        counts["with_defects"] += bool(result.defects)
        counts["bounce"] += bool(result.bounce_reason)
        counts["auto_reply"] += bool(result.auto_reply_reason)
        if not isinstance(result, ParsedMessage) or not result.message_id:
            failures.append(f"{rel}: bad result {result!r}"[:300])
        failures.extend(f"{rel}: {d}" for d in result.defects if d.startswith("internal error"))
        if rel.startswith("sisimai-bounces/"):
            sisimai["total"] += 1
            sisimai["bounce"] += bool(result.bounce_reason)
            sisimai["auto_reply"] += bool(result.auto_reply_reason)
            sisimai["flagged"] += bool(result.bounce_reason or result.auto_reply_reason)
        t0 = time.perf_counter()
        email.message_from_bytes(raw, policy=email.policy.compat32)
        compat32_seconds += time.perf_counter() - t0

    elapsed = time.perf_counter() - started - compat32_seconds
    print(f"\ncorpus {root}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    ratio = sisimai["flagged"] / sisimai["total"] if sisimai["total"] else 0.0
    print(f"sisimai: {sisimai['total']} files, bounce={sisimai['bounce']}, auto-reply={sisimai['auto_reply']}, "
          f"flagged as bounce or auto-reply={sisimai['flagged']} ({ratio:.1%})")
    print(f"parse_message: {len(inputs)} inputs in {elapsed:.2f}s ({len(inputs) / max(elapsed, 1e-9):.0f}/s); "
          f"bare compat32 on the parsed ones: {compat32_seconds:.2f}s")
    assert not failures, f"{len(failures)} corpus inputs crashed or hung:\n" + "\n".join(failures)
    assert not unparseable_eml, "e-mails refused as unparseable:\n" + "\n".join(unparseable_eml)
    assert sisimai["total"] == 0 or ratio > 0.9


# ---------------------------------------------------------------------- base64 runs parsed as one line
def _plain_tree(data: bytes):
    """The stdlib's tree of `data`, fed as _parse_tree feeds it, without taking base64 runs out."""
    from email.feedparser import FeedParser

    parser = FeedParser(policy=email.policy.compat32)
    for start in range(0, len(data), 8192):
        parser.feed(data[start:start + 8192].decode("ascii", "surrogateescape"))
    return parser.close()


def _tree(message) -> tuple:
    """Everything the parser decided: headers, defects, preamble, epilogue, From_ line, default type, payload."""
    payload = message._payload
    return (
        tuple(message._headers), tuple(type(d).__name__ for d in message.defects), message.preamble,
        message.epilogue, message._unixfrom, message._default_type,
        tuple(_tree(child) for child in payload) if isinstance(payload, list) else payload,
    )


def _same_tree_as_the_stdlib(raw: bytes) -> int:
    """Assert that _parse_tree (base64 runs taken out, then put back) gives the stdlib's own tree; the runs taken out."""
    data = parse_module._defuse(raw, [])
    root, complete = parse_module._parse_tree(raw, [])
    assert complete
    assert _tree(root) == _tree(_plain_tree(data))
    return len(parse_module._elide_base64_runs(data)[1])


B64_LINE = base64.b64encode(bytes(range(57))).decode()  # 76 characters, as MIME writes them


def test_an_attachments_base64_is_parsed_as_one_line_with_the_same_tree():
    body = base64.encodebytes(bytes(range(256)) * 400).replace(b"\n", b"\r\n")  # 100 KB, CRLF lines
    raw = (
        b"From: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n"
        + b"\r\n".join([b"preamble"] + [B64_LINE.encode()] * 40)
        + b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        + b"--b1\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body
        + b"--b1\r\nContent-Type: message/rfc822\r\n\r\n"
        + b"Subject: inner\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n"
        + b"--b1\r\nContent-Type: text/plain\r\n\r\n" + body  # base64-looking text is text: kept as it is
        + b"--b1--\r\n" + b"\r\n".join([B64_LINE.encode()] * 40)  # an epilogue
    )
    assert _same_tree_as_the_stdlib(raw) == 5
    pdf = next(a for a in parse_message(raw).attachments if a.filename == "a.pdf")
    assert pdf.payload == bytes(range(256)) * 400
    # the placeholder text itself in a message: nothing is taken out
    assert _same_tree_as_the_stdlib(raw.replace(b"preamble", b"\x00desk-elided-0\x00")) == 0
    # an overlong Content-Type (cut before the stdlib sees it) next to runs: cut the same way
    overlong = b"Content-Type: text/plain; " + b'a="b;c"; ' * 600
    defects: list[str] = []
    parse_module._parse_tree(raw.replace(b"Content-Type: text/plain", overlong, 1), defects)
    assert "overlong Content-Type header truncated" in defects
    assert _same_tree_as_the_stdlib(raw.replace(b"Content-Type: text/plain", overlong, 1)) == 5


LINES = st.sampled_from([
    B64_LINE, B64_LINE[:60] + "==", "--b1", "--b1--", "--b2", "--b2--", "", "Content-Type: multipart/mixed; boundary=b2",
    "Content-Type: message/rfc822", "Content-Type: message/delivery-status", "Content-Transfer-Encoding: base64",
    " folded", "From someone", "text line", "a" * 39, B64_LINE + ":", "\x00desk-elided-0\x00",
    "--b1  ", "--b1--\t", "--b1x", "--b1 x", "--b1---", "--b2 \t ", "Content-Type: multipart/alternative; boundary=\"(b.*)\"",
    "--(b.*)", "--(b.*)--", "--(b.x)",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(LINES, st.integers(1, 40)), min_size=1, max_size=12),
       st.sampled_from([b"\r\n", b"\n", b"\r"]), st.booleans())
def test_any_arrangement_of_lines_gives_the_stdlibs_tree(blocks, newline, multipart):
    head = "Content-Type: multipart/mixed; boundary=b1\r\n\r\n" if multipart else "Subject: x\r\n"
    lines = [line for line, count in blocks for _ in range(count)]
    saved, parse_module._ELIDE_MIN_BYTES = parse_module._ELIDE_MIN_BYTES, 0  # hypothesis' examples are small
    try:
        _same_tree_as_the_stdlib(head.encode() + newline.join(line.encode() for line in lines) + newline)
    finally:
        parse_module._ELIDE_MIN_BYTES = saved


def test_boundaries_are_matched_without_a_regex_compiled_for_each_and_the_stdlib_is_untouched():
    """The private feedparser's boundary pattern (a prefix test + one shared regex) matches as the compiled one."""
    import email.feedparser
    import re

    assert email.feedparser.re is re
    for boundary in ["b1", "=_Part (1)+[x].*$", "----=_NextPart_000_0001_01D9", "a\\b", "ü\udcff"]:
        separator = "--" + boundary
        source = "(?P<sep>" + re.escape(separator) + r")(?P<end>--)?(?P<ws>[ \t]*)(?P<linesep>\r\n|\r|\n)?$"
        fast, real = parse_module._FeedParserRe.compile(source), re.compile(source)
        assert isinstance(fast, parse_module._BoundaryPattern)
        for tail in ["", "\r\n", "\n", "\r", "--", "--\r\n", "--  \t\n", "x\n", " x\n", "---\n", "\n\n", "--\r\n\r\n"]:
            a, b = fast.match(separator + tail), real.match(separator + tail)
            assert (a is None) == (b is None), (boundary, tail)
            if a:
                assert [a.group(g) for g in ("end", "ws", "linesep")] == [b.group(g) for g in ("end", "ws", "linesep")]
        assert fast.match(separator[:-1] + "\n") is None and fast.match(" " + separator) is None
    assert parse_module._FeedParserRe.compile(r"\r\n|\n").pattern == r"\r\n|\n"  # any other pattern: re's own


def test_the_corpus_parses_to_the_stdlibs_own_tree_runs_taken_out_and_boundaries_matched_our_way():
    root = need_corpus()
    inputs = []
    for path in corpus_files(root):
        raw = path.read_bytes()
        inputs.append(raw)
        if path.name.endswith(".mbox.txt"):
            inputs.extend(split_mbox(raw))
    elided = 0
    for raw in inputs:
        data = parse_module._defuse(raw, [])
        try:
            _plain_tree(data)
        except RecursionError:  # too deep for the stdlib itself: _parse_tree keeps the headers only
            continue
        root, complete = parse_module._parse_tree(raw, [])
        if complete:
            assert _tree(root) == _tree(_plain_tree(data))
            elided += bool(parse_module._elide_base64_runs(data)[1])
    print(f"\n{len(inputs)} corpus inputs, {elided} with base64 runs taken out: same trees")
    assert elided > 10
