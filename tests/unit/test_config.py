from pathlib import Path

import pytest

from survey_app.config import SettingsError, load_settings

SECRET = "x" * 40


def test_defaults_use_sqlite_under_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"SURVEY_DATA_DIR": str(tmp_path), "SURVEY_SECRET_KEY": SECRET})
    assert settings.is_sqlite
    assert settings.sqlite_path == tmp_path / "survey.sqlite3"
    assert settings.port == 8000
    assert settings.session_idle_minutes == 30


def test_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({"SURVEY_DATA_DIR": str(tmp_path)}).secret_key
    second = load_settings({"SURVEY_DATA_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("SURVEY_PORT", "eighty", "不是整数"),
        ("SURVEY_PORT", "70000", "超出允许范围"),
        ("SURVEY_DEBUG", "maybe", "开关值"),
        ("SURVEY_DATABASE_URL", "mysql://x/y", "不是支持的数据库地址"),
        ("SURVEY_DATABASE_URL", "postgresql://host-only", "不是支持的数据库地址"),
        ("SURVEY_BASE_URL", "ftp://example", "http://"),
        ("SURVEY_SECRET_KEY", "short", "太短"),
        ("SURVEY_LOG_LEVEL", "LOUD", "无效"),
        ("SURVEY_SESION_IDLE_MINUTES", "5", "未知的配置项"),
        ("SURVEY_MFA_ROLES", "admin,root", "无效"),
        ("SURVEY_MFA_ROLES", " , ", "无效"),
        ("SURVEY_STEP_UP_MINUTES", "0", "超出允许范围"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    env = {"SURVEY_DATA_DIR": str(tmp_path), "SURVEY_SECRET_KEY": SECRET, name: value}
    with pytest.raises(SettingsError) as problem:
        load_settings(env)
    assert fragment in str(problem.value)
    assert name in str(problem.value)


def test_postgres_url_and_flags_are_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "SURVEY_DATA_DIR": str(tmp_path),
            "SURVEY_SECRET_KEY": SECRET,
            "SURVEY_DATABASE_URL": "postgresql://u:p@db:5432/survey",
            "SURVEY_SECURE_COOKIES": "yes",
            "SURVEY_BASE_URL": "https://survey.example.gov.cn/",
        }
    )
    assert not settings.is_sqlite
    assert settings.secure_cookies is True
    assert settings.base_url == "https://survey.example.gov.cn"


def test_mfa_roles_default_to_admin_and_office_and_can_be_set(tmp_path: Path) -> None:
    base = {"SURVEY_DATA_DIR": str(tmp_path), "SURVEY_SECRET_KEY": SECRET}
    assert load_settings(base).mfa_roles == frozenset({"admin", "office"})
    assert load_settings(base).step_up_minutes == 10
    chosen = load_settings({**base, "SURVEY_MFA_ROLES": "admin, analyst,office",
                            "SURVEY_STEP_UP_MINUTES": "5"})
    assert chosen.mfa_roles == frozenset({"admin", "analyst", "office"})
    assert chosen.step_up_minutes == 5
    assert load_settings({**base, "SURVEY_MFA_ROLES": "none"}).mfa_roles == frozenset()
