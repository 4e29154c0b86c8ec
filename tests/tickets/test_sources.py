"""tickets.mail.sources: the messages `ingest_email` finds in files, folders and mbox files."""
from tickets.mail.parse import parse_message
from tickets.mail.sources import raw_messages

BOM = b"\xef\xbb\xbf"


def test_mbox_split_at_from_lines_only_before_a_header(tmp_path):
    """Thunderbird writes mboxo files without escaping "From " in bodies; mailbox.mbox cut such a message in
    two (and dropped the whole first message behind a byte-order mark)."""
    first = (b"From: ann@example.org\nSubject: one\n\nMy favourite film:\n\nFrom Russia with love\nYear: 1963\n\n"
             b"From the desk I expect an answer.\n")
    second = b"From: bob@example.org\nSubject: two\n\nsecond\n"
    third = b"From: cy@example.org\nSubject: three\n\nthird\n"
    box = tmp_path / "saved.mbox"
    box.write_bytes(BOM + b"From -\n" + first + b"\nFrom bob@example.org Mon Jan  1 00:00:00 2026\n" + second
                    + b"From - \n" + third)  # no blank line before the last From_ line (seen in the wild too)
    found = list(raw_messages([str(box)]))
    assert found == [(f"{box}#1", first), (f"{box}#2", second), (f"{box}#3", third)]


def test_mbox_with_crlf_lines_and_a_single_message(tmp_path):
    box = tmp_path / "crlf.mbox"
    box.write_bytes(b"From a@b Mon Jan  1 00:00:00 2026\r\nFrom: a@b.example\r\n\r\none\r\n\r\n"
                    b"From a@b Mon Jan  1 00:00:01 2026\r\nFrom: a@b.example\r\n\r\ntwo\r\n")
    assert [raw for _source, raw in raw_messages([str(box)])] == [
        b"From: a@b.example\r\n\r\none\r\n", b"From: a@b.example\r\n\r\ntwo\r\n"
    ]
    single = tmp_path / "one.mbox"
    single.write_bytes(BOM + b"From -\nFrom: a@b.example\n\nFrom here on, one message.\n")
    assert list(raw_messages([str(single)])) == [(str(single), single.read_bytes())]  # kept whole; the parser reads it
    parsed = parse_message(single.read_bytes())
    assert parsed.from_email == "a@b.example" and parsed.body_text.strip() == "From here on, one message."
