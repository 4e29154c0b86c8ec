"""Where raw messages come from on disk: single files, folders (Maildir too), mbox files, stdin."""
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from tickets.mail.parse import HEADER_FIELD, UTF8_BOM

SKIP_NAMES = {".DS_Store"}


# A From_ line: "From sender date" (a date has digits) or "From -" (Thunderbird), nothing like "From Russia with love".
_FROM_LINE = re.compile(rb"From (?:\S*\s*$|\S+ .*\d)")


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(8)
    return head.removeprefix(UTF8_BOM).startswith(b"From ")


def _mbox_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    """The messages of an mbox file, one in memory at a time, without the From_ lines.

    A line "From ..." starts the next message only when it looks like a From_ line (a sender and a date,
    or Thunderbird's "From -") and the line after it is a header field; mailbox.mbox splits at every line
    that starts "From ", but mail programs that write mboxo files (Thunderbird) leave "From Russia with
    love" in a body unescaped, and that must not cut the message in two. A byte-order mark before the
    first From_ line is skipped (mailbox.mbox dropped the whole first message then). Every other byte is
    in some message.
    """
    with path.open("rb") as handle:
        lines = iter(handle)
        next(lines, None)  # the first From_ line (_is_mbox)
        index, current, after_blank = 0, [], False
        following = next(lines, None)
        while following is not None:
            line, following = following, next(lines, None)
            if _FROM_LINE.match(line) and following is not None and HEADER_FIELD.match(following):
                if after_blank:
                    current.pop()  # the blank line that separates two messages belongs to neither
                index += 1
                yield f"{path}#{index}", b"".join(current)
                current, after_blank = [], False
                continue
            current.append(line)
            after_blank = line in (b"\n", b"\r\n")
        yield f"{path}#{index + 1}", b"".join(current)


def _file_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    if _is_mbox(path):
        messages = _mbox_messages(path)  # one message in memory at a time, not the whole mailbox
        first, second = next(messages, None), next(messages, None)
        if second is not None:
            pair, first, second = [first, second], None, None
            yield pair.pop(0)
            yield pair.pop(0)
            yield from messages
            return
        messages.close()
    # A single message, possibly with an mbox "From " line the parser treats as unixfrom.
    yield str(path), path.read_bytes()


def raw_messages(paths: list[str]) -> Iterator[tuple[str, bytes]]:
    """(source, raw bytes) for every message under `paths`; '-' reads one message from stdin."""
    for name in paths:
        if name == "-":
            yield "stdin", sys.stdin.buffer.read()
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file() and p.name not in SKIP_NAMES):
                yield from _file_messages(child)
        elif path.is_file():
            yield from _file_messages(path)
        else:
            raise FileNotFoundError(name)
