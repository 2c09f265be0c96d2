"""One frozen Settings object, read strictly from SURVEY_* environment variables.

A bad value stops start-up with a message naming the variable, the value's problem and an
example, in Chinese (the operators are the district's IT staff) with the variable name in ASCII.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from survey_app.roles import ALL_ROLES

T = TypeVar("T")


class SettingsError(ValueError):
    """A SURVEY_* variable has a value we refuse to guess about."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    secret_key: str = field(repr=False)
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    secure_cookies: bool = False
    session_idle_minutes: int = 30
    login_max_failures: int = 5
    lockout_minutes: int = 30
    in_process_worker: bool = True
    max_upload_mb: int = 20
    retention_days: int = 180  # personal information kept this long after results are final
    log_level: str = "INFO"
    # Roles that must use a second factor (TOTP) at every login (等保 L3 身份鉴别 d, ASVS 6.3.2).
    mfa_roles: frozenset[str] = frozenset({"admin", "office"})
    # Sensitive actions need a password or code confirmed within this many minutes (ASVS 3.7.1).
    step_up_minutes: int = 10
    # A staff session ends this long after its login, however active (ASVS 3.3.4).
    session_max_hours: int = 12
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (client addresses for rate limits and audit, https for Secure cookies). Empty: none.
    trusted_proxies: tuple[str, ...] = ()
    support_contact: str = ""  # shown on the login page: whom staff call to unlock or reset

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        """sqlite:///relative/file or sqlite:////absolute/file."""
        return Path(self.database_url.removeprefix("sqlite:///"))


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r} 不是有效的开关值，请使用 true 或 false")


def _int_parser(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise SettingsError(f"{name}={raw!r} 不是整数，例如 {name}={low}") from None
        if not low <= value <= high:
            raise SettingsError(f"{name}={value} 超出允许范围 {low}–{high}")
        return value

    return parse


def _parse_database_url(name: str, raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme == "sqlite" and raw.startswith("sqlite:///") and len(raw) > len("sqlite:///"):
        return raw.strip()
    if parts.scheme in {"postgres", "postgresql"} and parts.hostname and parts.path.strip("/"):
        return raw.strip()
    raise SettingsError(
        f"{name}={raw!r} 不是支持的数据库地址；示例：sqlite:///var/survey.sqlite3 或 "
        "postgresql://user:password@127.0.0.1:5432/survey"
    )


def _parse_base_url(name: str, raw: str) -> str:
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise SettingsError(f"{name}={raw!r} 必须是 http:// 或 https:// 开头的完整地址")
    return raw.strip().rstrip("/")


def _parse_log_level(name: str, raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"{name}={raw!r} 无效，可选 DEBUG、INFO、WARNING、ERROR")
    return level


def _parse_text(name: str, raw: str) -> str:
    if not raw.strip():
        raise SettingsError(f"{name} 不能为空")
    return raw.strip()




def _parse_roles(name: str, raw: str) -> frozenset[str]:
    """Comma-separated role names, or `none` (explicitly: no role has to use MFA)."""
    if raw.strip().lower() == "none":
        return frozenset()
    roles = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = [role for role in roles if role not in ALL_ROLES]
    if not roles or unknown:
        raise SettingsError(
            f"{name}={raw!r} 无效：请用逗号分隔的角色名（可选 {','.join(ALL_ROLES)}），"
            f"例如 {name}=admin,office；不要求任何角色时写 none"
        )
    return frozenset(roles)


def _parse_proxies(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (127.0.0.1,10.0.0.0/8); `none` for none."""
    if raw.strip().lower() in {"", "none"}:
        return ()
    proxies = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        try:
            proxies.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise SettingsError(
                f"{name}={raw!r} 无效：{part!r} 不是 IP 地址或网段；"
                f"例如 {name}=127.0.0.1 或 {name}=10.0.0.0/8；不经过代理时写 none"
            ) from None
    return tuple(proxies)


def _parse_secret(name: str, raw: str) -> str:
    if len(raw) < 32:
        raise SettingsError(f"{name} 太短：至少 32 个字符，可用 secrets.token_urlsafe(48) 生成")
    return raw


_PARSERS: dict[str, tuple[str, Callable[[str, str], object]]] = {
    "SURVEY_DATABASE_URL": ("database_url", _parse_database_url),
    "SURVEY_BASE_URL": ("base_url", _parse_base_url),
    "SURVEY_HOST": ("host", _parse_text),
    "SURVEY_PORT": ("port", _int_parser(1, 65535)),
    "SURVEY_DEBUG": ("debug", _parse_bool),
    "SURVEY_SECURE_COOKIES": ("secure_cookies", _parse_bool),
    "SURVEY_SESSION_IDLE_MINUTES": ("session_idle_minutes", _int_parser(1, 24 * 60)),
    "SURVEY_LOGIN_MAX_FAILURES": ("login_max_failures", _int_parser(1, 100)),
    "SURVEY_LOCKOUT_MINUTES": ("lockout_minutes", _int_parser(1, 24 * 60)),
    "SURVEY_IN_PROCESS_WORKER": ("in_process_worker", _parse_bool),
    "SURVEY_MAX_UPLOAD_MB": ("max_upload_mb", _int_parser(1, 500)),
    "SURVEY_RETENTION_DAYS": ("retention_days", _int_parser(1, 3650)),
    "SURVEY_LOG_LEVEL": ("log_level", _parse_log_level),
    "SURVEY_SECRET_KEY": ("secret_key", _parse_secret),
    "SURVEY_MFA_ROLES": ("mfa_roles", _parse_roles),
    "SURVEY_STEP_UP_MINUTES": ("step_up_minutes", _int_parser(1, 24 * 60)),
    "SURVEY_SESSION_MAX_HOURS": ("session_max_hours", _int_parser(1, 24 * 7)),
    "SURVEY_TRUSTED_PROXIES": ("trusted_proxies", _parse_proxies),
    "SURVEY_SUPPORT_CONTACT": ("support_contact", _parse_text),
}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment; unknown SURVEY_* names are errors (typos matter)."""
    env = os.environ if env is None else env
    known = set(_PARSERS) | {"SURVEY_DATA_DIR", "SURVEY_TEST_POSTGRES_URL"}
    unknown = sorted(k for k in env if k.startswith("SURVEY_") and k not in known)
    if unknown:
        raise SettingsError(f"未知的配置项：{', '.join(unknown)}（请检查拼写）")

    data_dir = Path(env.get("SURVEY_DATA_DIR", "var")).resolve()
    values: dict[str, object] = {}
    for name, (attr, parse) in _PARSERS.items():
        if name in env:
            values[attr] = parse(name, env[name])
    values.setdefault("database_url", f"sqlite:///{data_dir / 'survey.sqlite3'}")
    values.setdefault("base_url", _served_url(values))
    if "secret_key" not in values:
        values["secret_key"] = _stored_secret(data_dir)
    return Settings(data_dir=data_dir, **values)  # type: ignore[arg-type]


def _served_url(values: Mapping[str, object]) -> str:
    """Without SURVEY_BASE_URL, links, exports and QR codes point at the address actually served."""
    host = str(values.get("host", Settings.host))
    port = values.get("port", Settings.port)
    if host in {"0.0.0.0", "::"}:  # noqa: S104 - listening everywhere: reachable at loopback
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _stored_secret(data_dir: Path) -> str:
    """Generate the secret key on first run and keep it in the data directory (mode 0600)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret)
    return secret
