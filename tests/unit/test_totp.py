"""TOTP against the RFC test vectors, the ±1 step window, and sealing of secrets at rest."""

from __future__ import annotations

import pytest

from survey_app.services import secretbox, totp
from survey_app.web.rendering import safe_next

# RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the hash's block size.
SEED_SHA1 = b"12345678901234567890"
SEED_SHA256 = (b"1234567890" * 4)[:32]
SEED_SHA512 = (b"1234567890" * 7)[:64]
RFC6238 = [  # (unix time, SHA-1, SHA-256, SHA-512), 8 digits
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
# RFC 4226 Appendix D: HOTP values for counters 0..9 with the same SHA-1 seed.
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
           "399871", "520489"]


@pytest.mark.parametrize(("when", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_appendix_b_vectors(when: int, sha1: str, sha256: str, sha512: str) -> None:
    assert totp.totp(SEED_SHA1, when, digits=8) == sha1
    assert totp.totp(SEED_SHA256, when, digits=8, digest="sha256") == sha256
    assert totp.totp(SEED_SHA512, when, digits=8, digest="sha512") == sha512


def test_rfc4226_hotp_vectors() -> None:
    assert [totp.hotp(SEED_SHA1, counter) for counter in range(10)] == RFC4226


def test_six_digit_code_is_the_last_six_of_the_eight() -> None:
    assert totp.totp(SEED_SHA1, 59) == "287082"  # 94287082 mod 10^6


def test_one_step_either_side_is_accepted_two_are_not() -> None:
    now = 1_700_000_000.0
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        code = totp.totp(SEED_SHA1, now + offset * 30)
        assert totp.matching_step(SEED_SHA1, code, now) == step + offset
    for offset in (-2, 2, 10):
        code = totp.totp(SEED_SHA1, now + offset * 30)
        assert totp.matching_step(SEED_SHA1, code, now) is None


def test_codes_are_read_as_people_type_them() -> None:
    now = 1_700_000_000.0
    code = totp.totp(SEED_SHA1, now)
    spaced = f" {code[:3]} {code[3:]} "
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert totp.matching_step(SEED_SHA1, spaced, now) == totp.time_step(now)
    assert totp.matching_step(SEED_SHA1, full_width, now) == totp.time_step(now)
    assert totp.matching_step(SEED_SHA1, code[:5] + "x", now) is None
    assert totp.matching_step(SEED_SHA1, code + "1", now) is None
    assert totp.matching_step(SEED_SHA1, "", now) is None


def test_secret_is_160_bits_and_base32_round_trips() -> None:
    secret = totp.new_secret()
    assert len(secret) == 20
    encoded = totp.to_base32(secret)
    assert len(encoded) == 32 and encoded.isupper() and "=" not in encoded
    assert totp.from_base32(encoded.lower()) == secret
    assert totp.new_secret() != secret


def test_provisioning_uri_names_issuer_account_and_parameters() -> None:
    uri = totp.provisioning_uri(SEED_SHA1, "admin", "满意度调查平台")
    assert uri.startswith("otpauth://totp/%E6%BB%A1")
    assert f"secret={totp.to_base32(SEED_SHA1)}" in uri
    assert "algorithm=SHA1" in uri and "digits=6" in uri and "period=30" in uri
    assert "%3Aadmin?" in uri  # label issuer:account, colon encoded


KEY = "k" * 48


def test_sealed_secret_opens_only_with_the_key_and_for_its_user() -> None:
    sealed = secretbox.seal(KEY, 7, SEED_SHA1)
    assert sealed.startswith("v1.")
    assert totp.to_base32(SEED_SHA1) not in sealed and SEED_SHA1.hex() not in sealed
    assert secretbox.open_sealed(KEY, 7, sealed) == SEED_SHA1
    assert secretbox.seal(KEY, 7, SEED_SHA1) != sealed  # a fresh nonce every time
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.open_sealed("z" * 48, 7, sealed)  # another key
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.open_sealed(KEY, 8, sealed)  # copied to another user's row
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.open_sealed(KEY, 7, tampered)
    with pytest.raises(secretbox.SecretUnreadable):
        secretbox.open_sealed(KEY, 7, "plain-text")


def test_recovery_code_digest_is_keyed_and_per_user() -> None:
    digest = secretbox.code_digest(KEY, 1, "ABCDEFGHJKLM")
    assert len(digest) == 64 and "ABCD" not in digest
    assert digest == secretbox.code_digest(KEY, 1, "ABCDEFGHJKLM")
    assert digest != secretbox.code_digest("z" * 48, 1, "ABCDEFGHJKLM")
    assert digest != secretbox.code_digest(KEY, 2, "ABCDEFGHJKLM")


@pytest.mark.parametrize("target", [
    "//evil.example/x", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)", "evil.example", "",
    "/%0a" + "\r\n", " /admin",
])
def test_next_must_be_a_local_path(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/admin/users", "/appraisal?year=2026",
                                    "/campaigns/3/distribution"])
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next(target) == target
