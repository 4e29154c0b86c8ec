"""Identity documents at rest: Fernet-encrypted files in private storage (0600, outside MEDIA_URL).

Keys come from KYC_ENCRYPTION_KEYS, newest first; older keys still decrypt, so a key is rotated by
putting the new one in front (and `MultiFernet.rotate` re-encrypts when wanted).
"""
import secrets
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.files.base import ContentFile

from support.storage import private_storage


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.KYC_ENCRYPTION_KEYS))


def vault_put(data: bytes, *, folder: str) -> str:
    """Encrypt `data` and store it under a random name in `folder`; returns the storage name."""
    token = fernet().encrypt(data)
    return private_storage.save(f"kyc/{folder}/{secrets.token_hex(16)}.bin", ContentFile(token))


def vault_get(name: str) -> bytes:
    """The decrypted bytes; cryptography.fernet.InvalidToken if the file was tampered with."""
    with private_storage.open(name, "rb") as handle:
        return fernet().decrypt(handle.read())


def vault_delete(name: str) -> None:
    if name:
        private_storage.delete(name)
