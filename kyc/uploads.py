"""Identity-document uploads stop being stored once they pass the size limit.

Django would otherwise spool an upload of any size to a temporary file before our checks see it.
This handler runs first for the verification pages and API: past KYC_MAX_UPLOAD_BYTES it keeps
counting but passes nothing on, and hands the view an empty stand-in that carries the real size,
so `check_upload` refuses it with the usual "too large" message and nothing is kept.
"""
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

KYC_PATHS = ("/verification/", "/api/kyc/")


class OversizedUpload(UploadedFile):
    def __init__(self, name: str, content_type: str, size: int):
        import io

        super().__init__(io.BytesIO(b""), name=name, content_type=content_type, size=size)


class QuotaUploadHandler(FileUploadHandler):
    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.KYC_MAX_UPLOAD_BYTES:
            return None  # the handlers after this one (memory, temporary file) get no more of it
        return raw_data

    def file_complete(self, file_size):
        if self.received > settings.KYC_MAX_UPLOAD_BYTES:
            return OversizedUpload(self.file_name, self.content_type, self.received)
        return None  # under the limit: the next handler's file is used


def upload_quota(get_response):
    """Middleware: put the quota handler in front for the verification URLs (before anything reads the body)."""

    def middleware(request):
        if request.method in ("POST", "PUT") and request.path.startswith(KYC_PATHS):
            request.upload_handlers.insert(0, QuotaUploadHandler(request))
        return get_response(request)

    return middleware
