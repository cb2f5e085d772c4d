"""Encryption at rest and keyed hashing of device IDs.

Two independent sub-keys are derived from DEVICE_ID_KEY with HKDF: one encrypts
(Fernet: AES-128-CBC + HMAC-SHA256), one computes the look-up hash (HMAC-SHA256).
A copy of the database without the key reveals no device ID, and the hash cannot
be brute-forced over the (small) IMEI space without the key either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"supportbot/v1", info=purpose).derive(secret)


class DeviceCipher:
    def __init__(self, secret: str) -> None:
        raw = secret.encode("utf-8")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(raw, b"device-id encryption")))
        self._mac_key = _derive(raw, b"device-id lookup hash")

    def hash(self, normalized: str) -> str:
        return hmac.new(self._mac_key, normalized.encode("ascii", "replace"), hashlib.sha256).hexdigest()

    def hash_text(self, text: str) -> str:
        """Keyed hash of arbitrary text (e.g. a customer id kept in the audit log after erasure)."""
        return hmac.new(self._mac_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def encrypt(self, normalized: str) -> str:
        return self._fernet.encrypt(normalized.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ValueError(
                "A stored device ID cannot be decrypted: DEVICE_ID_KEY differs from the key it was stored with."
            ) from exc
