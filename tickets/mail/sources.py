"""Where raw messages come from on disk: single files, folders (Maildir too), mbox files, stdin."""
import mailbox
import sys
from collections.abc import Iterator
from pathlib import Path

SKIP_NAMES = {".DS_Store"}


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(5)
    return head == b"From "


def _mbox_messages(path: Path) -> Iterator[tuple[str, bytes]]:
    box = mailbox.mbox(str(path), create=False)
    try:
        for index, key in enumerate(box.iterkeys()):
            yield f"{path}#{index + 1}", box.get_bytes(key, from_=False)
    finally:
        box.close()


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
