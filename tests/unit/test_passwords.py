from survey_app.services.passwords import hash_password, password_problems, verify_password


def test_hashes_are_argon2id_and_verify() -> None:
    digest = hash_password("Correct-Horse-42")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "Correct-Horse-42")
    assert not verify_password(digest, "correct-horse-42")
    assert not verify_password("not a hash", "Correct-Horse-42")


def test_production_hasher_uses_recommended_argon2id_parameters() -> None:
    # The test run swaps in cheap parameters (tests/conftest.py); production keeps RFC 9106's
    # second recommended option (t=3, 64 MiB, p=4) as argon2-cffi's defaults provide it.
    from argon2 import extract_parameters

    from survey_app.services import passwords
    from tests.conftest import PRODUCTION_HASHER

    assert PRODUCTION_HASHER is not passwords._hasher
    params = extract_parameters(PRODUCTION_HASHER.hash("Correct-Horse-42"))
    assert (params.type.name, params.time_cost, params.memory_cost, params.parallelism) == (
        "ID", 3, 65536, 4,
    )
    assert extract_parameters(passwords.DUMMY_HASH).memory_cost == 65536


def test_policy_length_classes_username_and_common_passwords() -> None:
    assert password_problems("Brand-New-Pass-42", "zhang") == []
    assert "密码至少需要 12 个字符" in password_problems("Ab1!", "zhang")
    assert any("三类" in p for p in password_problems("alllowercaseletters", "zhang"))
    assert "密码不能包含用户名" in password_problems("Zhang-Secret-99", "zhang")
    assert "该密码过于常见，请换一个" in password_problems("Admin@123456", "x")
    assert password_problems("A" * 64 + "b1!", "zhang") == []  # long passphrases allowed
