"""What a ticket accepts as an attachment, checked before anything is stored."""
import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

ALLOWED_TYPES = {
    "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/bmp", "image/tiff",
    "application/pdf", "text/plain", "text/csv",
    "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/rtf", "message/rfc822", "application/zip",
}
# Executable or script content is refused whatever type it claims.
BLOCKED_EXTENSIONS = {
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".dll", ".js", ".jse", ".vbs", ".vbe", ".ps1",
    ".jar", ".sh", ".hta", ".html", ".htm", ".svg", ".lnk", ".iso", ".apk",
}


class AttachmentRejected(ValueError):
    """The file is not stored; the message says why, in words a customer understands."""


@dataclass(frozen=True)
class IncomingFile:
    filename: str
    content_type: str
    payload: bytes
    content_id: str = ""
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.payload)

    @cached_property
    def md5(self) -> str:  # asked for by intake's result row and by the stored attachment: hashed once
        return hashlib.md5(self.payload, usedforsecurity=False).hexdigest()

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()

    @cached_property
    def secret_kinds(self) -> tuple[str, ...]:
        """The secrets the shield finds in the file's text (text files, PDFs), worked out once a file:
        e-mail intake asks when it redacts the stored raw message, and again when it vets the file for
        the ticket (the file is frozen, so the answer cannot change)."""
        from safety.services import attachment_secret_kinds

        return tuple(attachment_secret_kinds(self.filename, self.content_type.lower(), self.payload))


def attachment_check(file: IncomingFile) -> None:
    """Raise AttachmentRejected when the file breaks the size or type limits."""
    limit = settings.TICKET_ATTACHMENT_MAX_BYTES
    if file.size == 0:
        raise AttachmentRejected(_("%(name)s is empty.") % {"name": file.filename})
    if file.size > limit:
        raise AttachmentRejected(
            _("%(name)s is larger than %(mb)d MB.") % {"name": file.filename, "mb": limit // (1024 * 1024)}
        )
    if PurePosixPath(file.filename.lower()).suffix in BLOCKED_EXTENSIONS:
        raise AttachmentRejected(_("%(name)s: files of this kind are not accepted.") % {"name": file.filename})
    if file.content_type.lower() not in ALLOWED_TYPES:
        raise AttachmentRejected(
            _("%(name)s: the type %(type)s is not accepted. Send images, PDF, text or office documents.")
            % {"name": file.filename, "type": file.content_type}
        )
    _secret_check(file)


class AttachmentHoldsSecret(AttachmentRejected):
    """The secret shield found a secret in a text or PDF attachment: it is not stored at all."""

    def __init__(self, message, kinds):
        super().__init__(message)
        self.kinds = kinds


def _secret_check(file: IncomingFile) -> None:
    from safety.services import NAMES, secrets_record

    kinds = list(file.secret_kinds)
    if kinds:
        secrets_record(kinds, customer=None, where="attachment")
        what = ", ".join(str(NAMES[k]) for k in kinds)
        raise AttachmentHoldsSecret(
            _("%(name)s was not stored: it contains %(what)s. Support never needs it; if you shared it anywhere, change it now.")
            % {"name": file.filename, "what": what},
            kinds,
        )


def files_from_uploads(uploads) -> list[IncomingFile]:
    """Uploaded files (web form or API) as IncomingFiles, every one checked; AttachmentRejected on the first bad one."""
    uploads = list(uploads)
    if len(uploads) > settings.TICKET_ATTACHMENT_MAX_COUNT:
        raise AttachmentRejected(_("At most %(n)d files.") % {"n": settings.TICKET_ATTACHMENT_MAX_COUNT})
    files = []
    for upload in uploads:
        name = (upload.name or "attachment")[-200:]
        if upload.size > settings.TICKET_ATTACHMENT_MAX_BYTES:  # refused before it is read into memory
            raise AttachmentRejected(
                _("%(name)s is larger than %(mb)d MB.") % {"name": name, "mb": settings.TICKET_ATTACHMENT_MAX_BYTES // 2**20}
            )
        file = IncomingFile(name, (upload.content_type or "application/octet-stream").lower(), upload.read())
        attachment_check(file)
        files.append(file)
    return files
