"""Every action the code can write to the audit log reads in Chinese: its name, each detail key
(in that action's context) and each coded value. Found in a real-user trial: publishing an
appraisal result read "考核结果（其他操作）… 二维码数：1" and theme workflow changes read
"原值：pending；新值：assigned".

The actions and detail keys are found by scanning the source for the calls that write audit
rows (audit.record_event and the small wrappers around it), so a new audited action without
labels fails here."""

from __future__ import annotations

import ast
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from survey_app.services.audit_actions import ACTIONS, AS_TYPED
from survey_app.services.audit_labels import (
    action_label,
    actor_text,
    detail_label,
    detail_text,
    target_text,
)
from survey_app.services.scores_quality import REVIEW_DECISIONS
from survey_app.services.themes.curation import ThemeEdit

SOURCE = Path(__file__).resolve().parents[2] / "survey_app"
BASE = "record_event"
# Actions built in an f-string: the values the placeholder can take, read from the code that
# checks them. A new f-string action must be added here (the test says which).
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "response.{decision}": tuple(REVIEW_DECISIONS),
    "themes.{edit.kind}": typing.get_args(typing.get_type_hints(ThemeEdit)["kind"]),
    "themes.{decision}": ("accept", "return"),  # themes/handover.py review()
}
# Words that may stay in Latin letters on a Chinese page.
ALLOWED_WORDS = {"API", "HTTP", "XLSX", "CSV", "YAML", "XLSForm", "PDF"}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]+")


@dataclass
class Site:
    """One call that writes an audit row."""

    where: str
    actions: tuple[str, ...]
    keys: dict[str, set[str]] = field(default_factory=dict)  # detail key -> literal values


@dataclass(frozen=True)
class Wrapper:
    action: int  # position of the action parameter
    params: tuple[str, ...]
    detail: str | None  # the parameter passed on as the detail
    kwargs_detail: bool  # **detail collects the detail keys
    fixed: dict[str, str | None] = field(default_factory=dict)  # key the wrapper writes -> param


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(SOURCE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _arg(call: ast.Call, position: int, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return call.args[position] if position < len(call.args) else None


def _functions(module: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [f for f in ast.walk(module) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]


class Wrappers:
    """Functions that take the action as a parameter and pass it on to record_event, by module
    (units.py's _record is one, db/queries/users.py's _record is not)."""

    def __init__(self, modules: list[tuple[Path, ast.Module]]) -> None:
        self.found: dict[tuple[Path | None, str], Wrapper] = {
            (None, BASE): Wrapper(0, ("action", "actor_id", "actor_name", "target", "success",
                                      "ip", "detail"), "detail", False)}
        self.defined = {path: {f.name for f in _functions(module)} for path, module in modules}
        self.imported = {path: {alias.asname or alias.name for node in ast.walk(module)
                                if isinstance(node, ast.ImportFrom) for alias in node.names}
                         for path, module in modules}
        grew = True
        while grew:
            grew = False
            for path, module in modules:
                for func in _functions(module):
                    if (path, func.name) not in self.found and self._wraps(path, module, func):
                        grew = True

    def resolve(self, path: Path, module: ast.Module, call: ast.Call) -> Wrapper | None:
        name = _callee(call)
        if name == BASE:
            return self.found[(None, BASE)] if isinstance(call.func, ast.Attribute) else None
        if name in self.defined[path]:
            return self.found.get((path, name))  # type: ignore[arg-type]
        if name in self.imported[path]:
            return next((w for (p, n), w in self.found.items() if n == name and p), None)
        return None

    def _wraps(self, path: Path, module: ast.Module,
               func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        params = tuple(a.arg for a in (*func.args.posonlyargs, *func.args.args,
                                       *func.args.kwonlyargs))
        for call in ast.walk(func):
            inner = self.resolve(path, module, call) if isinstance(call, ast.Call) else None
            if inner is None:
                continue
            action = _arg(call, inner.action, inner.params[inner.action])  # type: ignore[arg-type]
            if not (isinstance(action, ast.Name) and action.id in params):
                continue
            detail = _arg(call, inner.params.index(inner.detail), inner.detail) \
                if inner.detail in inner.params else None  # type: ignore[arg-type]
            kwargs = func.args.kwarg.arg if func.args.kwarg else None
            uses_kwargs = detail is not None and any(
                isinstance(n, ast.Name) and n.id == kwargs for n in ast.walk(detail))
            detail_name = detail.id if isinstance(detail, ast.Name) and detail.id in params \
                else None
            fixed = {key.value: value.id if isinstance(value, ast.Name) and value.id in params
                     else None
                     for key, value in (zip(detail.keys, detail.values, strict=True)
                                        if isinstance(detail, ast.Dict) else ())
                     if isinstance(key, ast.Constant) and isinstance(key.value, str)}
            self.found[(path, func.name)] = Wrapper(params.index(action.id), params, detail_name,
                                                    uses_kwargs, fixed)
            return True
        return False


def _module_constants(module: ast.Module) -> dict[str, str]:
    return {target.id: node.value.value
            for node in module.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
            for target in node.targets if isinstance(target, ast.Name)}


def _actions(node: ast.expr, constants: dict[str, str], where: str) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.IfExp):
        return (*_actions(node.body, constants, where), *_actions(node.orelse, constants, where))
    if isinstance(node, ast.Name) and node.id in constants:
        return (constants[node.id],)
    if isinstance(node, ast.JoinedStr):
        pattern = "".join(
            part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}"
            for part in node.values  # type: ignore[attr-defined]
        )
        assert pattern in EXPANSIONS, f"{where}: add the values of {pattern!r} to EXPANSIONS"
        prefix = pattern[: pattern.index("{")]
        return tuple(prefix + value for value in EXPANSIONS[pattern])
    raise AssertionError(f"{where}: cannot tell which action {ast.unparse(node)} writes")


def _strings(node: ast.expr | None) -> set[str]:
    """The literal strings an argument can be ("a" if … else "b" gives both)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def _literal_keys(node: ast.expr | None) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    if node is None:
        return keys
    for sub in ast.walk(node):
        if isinstance(sub, ast.Dict):
            for key, value in zip(sub.keys, sub.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    keys.setdefault(key.value, set()).update(_strings(value))
    return keys


def _sites() -> list[Site]:
    modules = list(_modules())
    wrappers = Wrappers(modules)
    sites: list[Site] = []
    for path, module in modules:
        constants = _module_constants(module)
        for call in ast.walk(module):
            spec = wrappers.resolve(path, module, call) if isinstance(call, ast.Call) else None
            if spec is None or not isinstance(call, ast.Call):
                continue
            action = _arg(call, spec.action, spec.params[spec.action])
            assert action is not None
            enclosing = [f for f in _functions(module) if (path, f.name) in wrappers.found
                         and f.lineno <= call.lineno <= (f.end_lineno or 0)]
            if enclosing and isinstance(action, ast.Name) and action.id in \
                    wrappers.found[(path, enclosing[-1].name)].params:
                continue  # a wrapper passing its own parameter on: its callers are the sites
            where = f"{path.relative_to(SOURCE.parent)}:{call.lineno}"
            site = Site(where, _actions(action, constants, where))
            if spec.detail:
                position = spec.params.index(spec.detail)
                site.keys.update(_literal_keys(_arg(call, position, spec.detail)))
            for key, param in spec.fixed.items():
                site.keys.setdefault(key, set()).update(
                    _strings(_arg(call, spec.params.index(param), param)) if param else set())
            if spec.kwargs_detail:
                for keyword in call.keywords:
                    if keyword.arg and keyword.arg not in spec.params:
                        site.keys.setdefault(keyword.arg, set()).update(_strings(keyword.value))
            sites.append(site)
    return sites


SITES = _sites()
WRITTEN = sorted({action for site in SITES for action in site.actions})


def test_the_scan_finds_the_audited_actions() -> None:
    # The scan itself must see the known kinds of call sites, or the checks below prove nothing.
    for expected in ("login", "appraisal.publish", "themes.handover", "mfa.verify",
                     "unit.update", "campaign.open", "open_link.pause", "retention.purge",
                     "response.exclude", "themes.split", "themes.accept", "reauth"):
        assert expected in WRITTEN
    assert len(WRITTEN) > 80
    publish = next(s for s in SITES if "appraisal.publish" in s.actions)
    assert "cards" in publish.keys


@pytest.mark.parametrize("action", WRITTEN)
def test_every_written_action_has_a_chinese_name(action: str) -> None:
    assert action in ACTIONS, f"{action} has no entry in services/audit_actions.py"
    assert "其他操作" not in action_label(action)
    assert not LATIN_WORD.findall(action_label(action).replace("API", ""))


def test_every_literal_detail_key_has_a_label_in_its_action() -> None:
    missing = [f"{site.where} {action}: {key}" for site in SITES for action in site.actions
               for key in site.keys if detail_label(action, key) is None]
    assert not missing, "detail keys without a Chinese name:\n" + "\n".join(missing)


def _samples(action: str) -> list[dict[str, object]]:
    """Detail entries as this action writes them: every key it can write, each coded value."""
    spec = ACTIONS[action]
    keys: dict[str, set[str]] = {key: set() for key in spec.keys}
    for site in SITES:
        if action in site.actions:
            for key, literals in site.keys.items():
                keys.setdefault(key, set()).update(literals)
    samples: list[dict[str, object]] = [{key: 3 for key in keys}]
    for key, literals in keys.items():
        codes = spec.values.get(key)
        values = set(literals) | (set(codes) if codes and codes is not AS_TYPED else set())
        samples.extend({key: value} for value in sorted(values))
    for key, inner in spec.nested.items():  # a filter: its keys, each coded value
        samples.append({key: {name: 3 for name in inner}})
        samples.extend({key: {name: code}} for name in inner
                       for code in spec.values.get(name, AS_TYPED))
    return samples


def _latin(text: str) -> list[str]:
    return [word for word in LATIN_WORD.findall(text) if word not in ALLOWED_WORDS]


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_sample_entry_of_every_action_shows_no_code(action: str) -> None:
    for sample in _samples(action):
        text = detail_text(sample, action)
        assert not _latin(text), f"{action} {sample} reads {text!r}"


def test_the_trial_entries_read_in_chinese() -> None:
    publish = detail_text({"run": 7, "republish": True, "reason": "更正录入错误", "changes": 2,
                           "cards": 1}, "appraisal.publish")
    assert action_label("appraisal.publish") == "发布考核结果"
    assert "二维码" not in publish and "发出红黄牌数：1" in publish
    assert detail_text({"page": 1, "cards": 30}, "campaign.qr_sheet") == "页码：1；二维码数：30"
    moved = detail_text({"unit": "S01", "deadline": "2026-12-31", "from": "pending",
                         "to": "assigned"}, "themes.handover")
    assert "原状态：待处理；新状态：已转办" in moved
    # PostgreSQL's jsonb hands keys back in its own order: the action's order is used.
    replied = detail_text({"to": "rectifying", "from": "assigned"}, "themes.reply")
    assert replied == "原状态：已转办；新状态：整改中"
    replay = detail_text({"reason": "replayed", "failures": 1, "locked": False}, "mfa.verify")
    assert "replayed" not in replay and "验证码已用过" in replay
    verified = detail_text({"method": "recovery", "recovery_codes_left": 9}, "mfa.verify")
    assert verified == "验证方式：恢复码；剩余恢复码：9"
    split = detail_text({"kind": "split", "theme_id": 4, "others": [], "keyword": "",
                         "k": 3, "label": "", "job": None}, "themes.split")
    assert not _latin(split) and "主题编号：4" in split and "拆分数量" in split


def test_typed_text_is_never_read_as_a_code() -> None:
    # A reason a person typed that happens to equal a code stays as typed.
    assert detail_text({"reason": "locked"}, "campaign.reopen") == "原因：locked"
    assert detail_text({"from": "admin", "to": "office"}, "themes.rename") == \
        "原名称：admin；新名称：office"
    assert detail_text({"from": "admin", "to": "office"}, "user.role") == \
        "原角色：系统管理员；新角色：绩效办"


def test_targets_read_without_internal_prefixes() -> None:
    assert target_text("themes.handover", "theme:12") == "主题 #12"
    assert target_text("themes.run", "job:5") == "后台任务 #5"
    assert target_text("themes.run_confirm", "theme_run:3") == "聚类结果 #3"
    assert target_text("themes.lexicon", "lexicon:stop_words") == "词表：停用词"
    assert target_text("roster.import", "enterprise") == "企业"
    assert target_text("themes.export", "themes.xlsx") == "主题报告"
    assert target_text("appraisal.card.plan", "区司法局 2026 red") == "区司法局 2026 红牌"
    assert target_text("retention.purge", "campaign:QY-2026") == "调查批次 QY-2026"
    assert target_text("unit.create", "S01") == "S01"


def test_api_callers_read_as_tokens() -> None:
    assert actor_text("api.use", "api:统计局接口") == "API 令牌“统计局接口”"
    assert actor_text("api.use", "api") == "API（未知令牌）"
    assert actor_text("login", "api:guess") == "api:guess"  # what a person typed at login
