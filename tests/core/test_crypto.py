import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from coursebridge.core.crypto import EncryptedTextField, decrypt, encrypt

CLEAR = "s3cret-api-key: ünïcödé ✓"


def test_encrypt_then_decrypt_gives_back_the_clear_value():
    token = encrypt(CLEAR)

    assert token != CLEAR
    assert CLEAR not in token
    assert decrypt(token) == CLEAR


def test_encrypting_twice_gives_different_tokens():
    assert encrypt(CLEAR) != encrypt(CLEAR)


def test_a_token_from_another_key_cannot_be_decrypted():
    token = encrypt(CLEAR)

    with override_settings(ENCRYPTION_KEY=Fernet.generate_key().decode()), pytest.raises(ValueError) as exc:
        decrypt(token)

    assert str(exc.value) == "stored secret cannot be decrypted with this deployment's encryption key"


@pytest.mark.parametrize("garbage", ["", "not-a-token", "gAAAAA"])
def test_garbage_cannot_be_decrypted(garbage):
    with pytest.raises(ValueError):
        decrypt(garbage)


def test_the_field_encrypts_on_the_way_in_and_decrypts_on_the_way_out():
    field = EncryptedTextField()

    stored = field.get_prep_value(CLEAR)

    assert stored != CLEAR
    assert decrypt(stored) == CLEAR
    assert field.from_db_value(stored, None, connection) == CLEAR


@pytest.mark.parametrize("empty", [None, ""])
def test_the_field_keeps_empty_values_as_they_are(empty):
    field = EncryptedTextField()

    assert field.get_prep_value(empty) == empty
    assert field.from_db_value(empty, None, connection) == empty


def test_the_field_stores_non_text_values_as_their_text():
    field = EncryptedTextField()

    assert field.from_db_value(field.get_prep_value(12345), None, connection) == "12345"


@pytest.mark.django_db
def test_the_database_holds_only_the_encrypted_value():
    # No model carries the field yet: write through the field into a real column and read it back raw.
    field = EncryptedTextField()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE crypto_probe (id integer PRIMARY KEY, secret text)")
        cursor.execute(
            "INSERT INTO crypto_probe (id, secret) VALUES (%s, %s)",
            [1, field.get_db_prep_save(CLEAR, connection)],
        )
        cursor.execute("SELECT secret FROM crypto_probe WHERE id = %s", [1])
        raw = cursor.fetchone()[0]
        cursor.execute("DROP TABLE crypto_probe")

    assert raw != CLEAR
    assert "s3cret" not in raw
    assert field.from_db_value(raw, None, connection) == CLEAR
