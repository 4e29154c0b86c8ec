"""Private file storage shared by the channel apps: ticket and chat attachments, identity documents."""
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import LazyObject


class PrivateStorage(LazyObject):
    """Files live outside MEDIA_ROOT/MEDIA_URL and are served only through an authorised view."""

    def _setup(self):
        self._wrapped = FileSystemStorage(
            location=settings.PRIVATE_STORAGE_ROOT, base_url=None, file_permissions_mode=0o600, directory_permissions_mode=0o700
        )


private_storage = PrivateStorage()
