"""Appraisal (绩效考核) schemes and what the use-case modules share.

A scheme is the YAML of analysis.appraisal.scheme, validated with its Chinese errors and kept
as numbered versions per year (never edited in place); weights must sum to 1 exactly as
written. The workflow lives beside this module, one use case each:

* appraisal_inputs: the stored indicator datasets, their template, uploads and previews;
* appraisal_runs: 计算 — a draft run from stored data, with the periods that count;
* appraisal_publication: 发布, the published results units and the API see, the diff;
* appraisal_overrides: grade overrides inside the forced-distribution rules;
* appraisal_cards: the red/yellow card register and rectification;
* appraisal_scheme_form: the form editor and what-if preview of scheme versions.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import yaml

from analysis.appraisal.components import ComponentKind
from analysis.appraisal.errors import AppraisalError
from analysis.appraisal.input_table import SchemeColumns
from analysis.appraisal.scheme import Scheme, parse_scheme, weight_sum_problems
from survey_app.db.queries import appraisal_results as result_queries
from survey_app.db.queries import audit
from survey_app.db.queries.appraisal_results import SchemeRecord as SchemeRecord  # for the pages
from survey_app.errors import InvalidInput
from survey_app.services.scores import AUDIENCES

EXAMPLE_SCHEME = Path(__file__).resolve().parents[2] / "analysis/appraisal/schemes/example.yaml"
MAX_SCHEME_CHARS = 100_000
MAX_REASON = 500
UNIT_COLUMN, CLASS_COLUMN, PERIOD_COLUMN, VETO_COLUMN = "单位", "类别", "期间", "一票否决"
ANNUAL_PERIODS = ("全年", "年度")


class AppraisalFailed(InvalidInput):
    """A Chinese message for the office: why a scheme or a run was refused."""


class SchemeUnchanged(AppraisalFailed):
    """The scheme equals the year's latest version: saving it would only add a duplicate."""


# --- schemes --------------------------------------------------------------------------------


def example_yaml() -> str:
    return EXAMPLE_SCHEME.read_text(encoding="utf-8")


def parse_scheme_text(text: str) -> Scheme:
    """Validate scheme YAML; every problem is one Chinese message naming its place."""
    if len(text) > MAX_SCHEME_CHARS:
        raise AppraisalFailed(f"考核方案过长（超过 {MAX_SCHEME_CHARS} 个字符）")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        raise AppraisalFailed(f"考核方案{where}不是合法的 YAML，请检查缩进和冒号") from None
    try:
        return parse_scheme(data)
    except AppraisalError as error:
        raise AppraisalFailed(str(error)) from None


def parse_strict(text: str) -> Scheme:
    """A scheme the office may save: valid, and every weight set sums to 1 as written."""
    scheme = parse_scheme_text(text)
    problems = weight_sum_problems(scheme)
    if problems:
        raise AppraisalFailed("权重之和必须为 1，系统不会自动折算：\n" + "\n".join(problems))
    return scheme


async def scheme_versions() -> list[result_queries.SchemeRecord]:
    return await result_queries.scheme_versions()


async def find_scheme(scheme_id: int) -> result_queries.SchemeRecord | None:
    return await result_queries.find_scheme(scheme_id)


async def find_result(result_id: int) -> result_queries.AppraisalRecord | None:
    return await result_queries.find_result(result_id)


async def scheme_record(scheme_id: int) -> result_queries.SchemeRecord:
    record = await result_queries.find_scheme(scheme_id)
    if record is None:
        raise AppraisalFailed("考核方案版本不存在")
    return record


async def save_scheme(text: str, note: str, *, actor_id: int, actor_name: str, ip: str) -> tuple[int, int]:
    """Store a validated scheme as the next version of its year, unless it is the same as
    the year's latest version (same content; comments and layout do not count)."""
    scheme = parse_strict(text)
    latest = next(iter(await result_queries.scheme_versions(scheme.year)), None)
    if latest is not None and yaml.safe_load(latest.yaml_text) == yaml.safe_load(text):
        raise SchemeUnchanged(
            f"与当前版本相同，没有保存新版本（当前版本为 {scheme.year} 年度第{latest.version_no}版；"
            "只改注释或排版不算改动）。"
        )
    scheme_id, version_no = await result_queries.insert_scheme(
        scheme.year, scheme.name[:128], text, note.strip()[:200], actor_id
    )
    await audit.record_event(
        "appraisal.scheme",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"{scheme.year} 第{version_no}版",
        ip=ip,
        detail={"scheme": scheme_id, "name": scheme.name, "version": scheme.version},
    )
    return scheme_id, version_no


# --- shared by the use cases ---------------------------------------------------------------


def campaign_period(scheme: Scheme, key: str) -> str:
    """Scheme period keys (Q1 … Q4, 全年) → campaign periods (2026-Q1 …, 2026)."""
    if key in ANNUAL_PERIODS:
        return str(scheme.year)
    return key if key.startswith(str(scheme.year)) else f"{scheme.year}-{key}"


def satisfaction_sources(scheme: Scheme) -> dict[str, str]:
    """Satisfaction columns filled from stored scores: 企业… → enterprise, 居民/群众… → resident.

    Other satisfaction columns (e.g. 单位评, an evaluation among units) are uploaded indicators.
    """
    sources = {}
    for unit_class in scheme.classes:
        for leaf in unit_class.root.leaves():
            if leaf.kind is not ComponentKind.SATISFACTION:
                continue
            if "企业" in leaf.column:
                sources[leaf.column] = "enterprise"
            elif "居民" in leaf.column or "群众" in leaf.column:
                sources[leaf.column] = "resident"
    return sources


def input_header(scheme: Scheme) -> tuple[str, ...]:
    """The columns of the input table `survey-app appraise` reads."""
    columns = SchemeColumns.of(scheme)
    satisfaction = sorted(satisfaction_sources(scheme))
    return (
        UNIT_COLUMN, CLASS_COLUMN, PERIOD_COLUMN, VETO_COLUMN, *sorted(columns.leaves),
        *(f"{c}_标记" for c in satisfaction), *(f"{c}_误差" for c in satisfaction),
        *sorted(columns.bonuses), *sorted(columns.deductions),
    )  # fmt: skip


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def describe_scheme(record: result_queries.SchemeRecord) -> str:
    try:
        return parse_scheme_text(record.yaml_text).describe()
    except AppraisalFailed as error:  # stored versions were valid; the parser may have changed
        return str(error)


def audience_label(audience: str) -> str:
    return AUDIENCES.get(audience, audience)
