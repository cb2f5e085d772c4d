"""Device IDs at rest: Fernet encryption and a keyed look-up hash, both derived from DEVICE_ID_KEY."""

from __future__ import annotations

import hashlib

import pytest

from bot.core.crypto import DeviceCipher
from tests.conftest import TEST_KEY

IMEI = "490154203237518"

# Made with TEST_KEY by this code once and pinned: if the key derivation (salt, purpose, algorithm)
# ever changes, every database in use would stop finding and reading its stored devices.
PINNED_HASH = "e8dcccd3563d51bbc570c289dad87fb66760fe080822c71364dcb86840ca0df4"
PINNED_TEXT_HASH = "1be319db418fa5e4169e41db523bf8fa4ded40045ac0701ab2c3a57005b61931"
PINNED_TOKEN = (
    "gAAAAABrDI5nXaOeLwz0UAsjdJbb7gYomCC3Huu0UgHEYEW9HqM_MXUx44vwg0r4QASSlR8Rt-yBAT0lLpJzjAgR1yKL8sRuIw=="
)


def test_an_id_encrypted_reads_back_and_shows_nothing_of_itself() -> None:
    cipher = DeviceCipher(TEST_KEY)
    token = cipher.encrypt(IMEI)
    assert cipher.decrypt(token) == IMEI
    assert IMEI not in token and IMEI[-6:] not in token
    assert cipher.encrypt(IMEI) != token  # a fresh IV each time: equal IDs do not look equal at rest


def test_the_key_derivation_is_stable_across_versions() -> None:
    cipher = DeviceCipher(TEST_KEY)
    assert cipher.hash(IMEI) == PINNED_HASH
    assert cipher.hash_text("customer:42") == PINNED_TEXT_HASH
    assert cipher.decrypt(PINNED_TOKEN) == IMEI


def test_the_hash_is_keyed_and_deterministic() -> None:
    one, other = DeviceCipher(TEST_KEY), DeviceCipher("another-key-entirely-0000")
    assert one.hash(IMEI) == DeviceCipher(TEST_KEY).hash(IMEI)
    assert len(one.hash(IMEI)) == 64 and int(one.hash(IMEI), 16) >= 0
    assert one.hash(IMEI) != other.hash(IMEI)
    assert one.hash(IMEI) != hashlib.sha256(IMEI.encode()).hexdigest()  # not an unkeyed hash
    assert one.hash(IMEI) != one.hash("490154203237519")


def test_the_hash_key_is_derived_not_the_raw_secret() -> None:
    """The look-up hash is not an HMAC under the raw secret: HKDF gives it a key of its own."""
    import hmac

    cipher = DeviceCipher(TEST_KEY)
    assert cipher.hash(IMEI) != hmac.new(TEST_KEY.encode(), IMEI.encode(), hashlib.sha256).hexdigest()


def test_text_hash_takes_any_text_and_agrees_with_the_id_hash_on_ascii() -> None:
    cipher = DeviceCipher(TEST_KEY)
    assert cipher.hash_text(IMEI) == cipher.hash(IMEI)
    assert cipher.hash_text("Zoë") != cipher.hash_text("Zo?")


def test_a_token_from_another_key_is_refused_with_the_setting_named() -> None:
    token = DeviceCipher("another-key-entirely-0000").encrypt(IMEI)
    with pytest.raises(ValueError, match="DEVICE_ID_KEY differs"):
        DeviceCipher(TEST_KEY).decrypt(token)


def test_a_damaged_token_is_refused() -> None:
    cipher = DeviceCipher(TEST_KEY)
    token = cipher.encrypt(IMEI)
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        cipher.decrypt(flipped)
