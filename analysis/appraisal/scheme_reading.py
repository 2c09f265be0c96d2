"""Small typed readers for the appraisal scheme: each checks one value and, when it is wrong,
raises SchemeError naming where in the scheme it is (考核方案 分类 → 权重：…)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NoReturn, TypeVar

from analysis.appraisal.errors import AppraisalError, SchemeError
from analysis.scoring.errors import ScoringError

T = TypeVar("T")


def fail(path: tuple[str, ...], message: str) -> NoReturn:
    where = " → ".join(path) if path else "顶层"
    raise SchemeError(f"考核方案 {where}：{message}")


def guard(path: tuple[str, ...], build: Callable[[], T]) -> T:
    """Run a constructor that validates itself, adding the location to its message."""
    try:
        return build()
    except (ScoringError, AppraisalError) as error:
        fail(path, str(error))


def table(value: object, path: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(value, dict):
        fail(path, "应为键值表（key: value）")
    return {str(k): v for k, v in value.items()}


def keys(table: Mapping[str, object], allowed: set[str], path: tuple[str, ...]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        fail(path, f"未知的设置项「{'、'.join(unknown)}」，可用：{'、'.join(sorted(allowed))}")


def text(value: object, path: tuple[str, ...]) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        fail(path, "缺少文字内容" if value is None else f"应为文字，实际为「{value}」")
    text = str(value).strip()
    if not text:
        fail(path, "不能为空")
    return text


def optional_number(
    value: object, path: tuple[str, ...], *, minimum: float | None = None
) -> float | None:
    return None if value is None else number(value, path, minimum=minimum)


def number(value: object, path: tuple[str, ...], *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        fail(path, "缺少数值" if value is None else f"必须是数字，实际为「{value}」")
    if minimum is not None and value < minimum:
        fail(path, f"不能小于 {minimum:g}，实际为 {value:g}")
    return float(value)


def integer(value: object, path: tuple[str, ...], low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(path, f"必须是 {low}–{high} 之间的整数，实际为「{value}」")
    return value


def boolean(value: object, path: tuple[str, ...]) -> bool:
    if not isinstance(value, bool):
        fail(path, f"必须是 true 或 false，实际为「{value}」")
    return value


def choice(value: object, path: tuple[str, ...], options: Mapping[str, T]) -> T:
    if isinstance(value, str) and value.strip() in options:
        return options[value.strip()]
    fail(path, f"「{value}」不是可选值，可用：{'、'.join(options)}")
