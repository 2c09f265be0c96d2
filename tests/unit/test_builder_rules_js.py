"""builder_rules.js (run under Node): the builder's skip-logic and validation menus write
expressions the server's parser accepts and evaluates as intended, read back the simple
conditions of the shipped templates without changing their meaning, and option lists keep their
values when pasted, edited or reordered."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from questionnaires.canonical import to_canonical_dict
from questionnaires.evaluation import EvaluationContext, evaluate_bool
from questionnaires.expressions import compile_expression
from questionnaires.shipped import shipped_questionnaires

SCRIPT = Path(__file__).resolve().parents[2] / "survey_app" / "static" / "js" / "builder_rules.js"
HARNESS = """
const R = require(process.argv[1]);
const calls = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const arg = (a) => (a && a.__set__ ? new Set(a.__set__) : a);  // JSON has no Set
process.stdout.write(JSON.stringify(calls.map(([name, args]) => {
  const value = R[name](...args.map(arg));
  return value === undefined ? null : value;
})));
"""


def _node(*calls: tuple[str, list[Any]]) -> list[Any]:
    node = shutil.which("node")
    assert node, "Node.js is needed to test builder_rules.js"
    result = subprocess.run([node, "-e", HARNESS, str(SCRIPT)], input=json.dumps(calls),
                            capture_output=True, text=True, check=True, timeout=60)
    return list(json.loads(result.stdout))


CANDIDATES = [
    {"ref": "one", "kind": "one", "options": [{"value": "yes", "label": "是"},
                                              {"value": "it's", "label": "带引号"}]},
    {"ref": "many", "kind": "many", "options": [{"value": "a", "label": "甲"}]},
    {"ref": "rate", "kind": "scale", "options": [], "unknown": True},
    {"ref": "m__U01", "kind": "scale", "options": [], "unknown": False},
    {"ref": "n", "kind": "num", "options": []},
    {"ref": "t", "kind": "text", "options": []},
]
ANSWERS = [{}, {"one": "yes", "many": "a b", "rate": "2", "m__U01": "5", "n": "0", "t": "x"},
           {"one": "it's", "many": "b", "rate": "unknown", "m__U01": "1", "n": "12", "t": ""}]


def _holds(source: str, values: dict[str, str]) -> bool:
    return evaluate_bool(compile_expression(source),
                         EvaluationContext(values=values, today=date(2026, 6, 1)))


OPS_TRIED = {"one": ["eq", "ne", "filled", "empty"], "many": ["has", "hasnt", "filled", "empty"],
             "scale": ["eq", "ne", "le", "ge", "lt", "gt", "filled"], "num": ["le", "gt", "empty"],
             "text": ["filled", "empty"]}


def test_every_menu_condition_is_a_valid_expression_that_reads_back() -> None:
    conds = []
    for cand in CANDIDATES:
        values = [o["value"] for o in cand["options"]] or (
            ["5", "2", "unknown"] if cand["kind"] == "scale" else ["3"])
        conds += [{"ref": cand["ref"], "op": op, "value": value}
                  for op in OPS_TRIED[cand["kind"]] for value in values]
    texts = _node(*[("writeCondition", [{"join": "and", "conds": [c]}, CANDIDATES]) for c in conds])
    for cond, text in zip(conds, texts, strict=True):
        assert compile_expression(text).references == {cond["ref"]}, text  # the server accepts it
    read = _node(*[("parseCondition", [text, CANDIDATES]) for text in texts])
    assert [p["conds"][0]["ref"] if p else None for p in read] == [c["ref"] for c in conds]
    [parsed] = _node(("parseCondition", [" or ".join(texts[:3]), CANDIDATES]))
    assert parsed["join"] == "or" and len(parsed["conds"]) == 3
    [mixed] = _node(("parseCondition", [f"{texts[0]} and {texts[1]} or {texts[2]}", CANDIDATES]))
    assert mixed is None  # and/or mixed: only the expression box can show it


def test_menu_conditions_mean_what_the_menus_say() -> None:
    cases = [
        ({"ref": "one", "op": "eq", "value": "yes"}, lambda v: v.get("one") == "yes"),
        ({"ref": "one", "op": "ne", "value": "it's"}, lambda v: v.get("one") != "it's"),
        ({"ref": "many", "op": "has", "value": "a"}, lambda v: "a" in v.get("many", "").split()),
        ({"ref": "many", "op": "hasnt", "value": "a"},
         lambda v: "a" not in v.get("many", "").split()),
        ({"ref": "rate", "op": "le", "value": "2"},
         lambda v: v.get("rate", "").isdigit() and int(v["rate"]) <= 2),
        ({"ref": "rate", "op": "eq", "value": "unknown"}, lambda v: v.get("rate") == "unknown"),
        ({"ref": "n", "op": "gt", "value": "3"},
         lambda v: v.get("n", "").isdigit() and int(v["n"]) > 3),
        ({"ref": "t", "op": "filled", "value": ""}, lambda v: bool(v.get("t"))),
        ({"ref": "t", "op": "empty", "value": ""}, lambda v: not v.get("t")),
    ]
    texts = _node(*[("writeCondition", [{"join": "and", "conds": [c]}, CANDIDATES])
                    for c, _ in cases])
    for (_, meaning), text in zip(cases, texts, strict=True):
        for values in ANSWERS:
            assert _holds(text, values) == meaning(values), (text, values)


def test_shipped_conditions_read_back_with_the_same_meaning() -> None:
    calls, sources = [], []
    for questionnaire in shipped_questionnaires().values():
        definition = to_canonical_dict(questionnaire)
        for si, section in enumerate(definition["sections"]):
            for qi, question in enumerate(section["questions"]):
                if question.get("relevant"):
                    calls.append(("candidatesBefore", [definition, si, qi]))
                    sources.append(question["relevant"])
    candidates = _node(*calls)
    parsed = _node(*[("parseCondition", [s, c]) for s, c in zip(sources, candidates, strict=True)])
    shown = [(s, p, c) for s, p, c in zip(sources, parsed, candidates, strict=True) if p]
    assert sources and [s for s, p in zip(sources, parsed, strict=True) if not p] == []  # all fit
    rewritten = _node(*[("writeCondition", [p, c]) for _, p, c in shown])
    for (source, _, cands), text in zip(shown, rewritten, strict=True):
        refs = [c["ref"] for c in cands]
        samples = [{ref: value for ref in refs} for value in ("yes", "no", "1", "2", "5", "")]
        for values in samples:
            assert _holds(text, values) == _holds(source, values), (source, text, values)


def test_validation_rules_compile_and_read_back() -> None:
    [checks] = _node(("checksFor", [{"type": "number"}]))
    kinds = ["number", "text", "multiple_choice", "date"]
    lists = _node(*[("checksFor", [{"type": kind}]) for kind in kinds])
    entries = [entry for found in lists for entry in found]
    assert checks == lists[0] and len(entries) == 12
    made = _node(*[("makeCheck", [entry, "7"]) for entry in entries])
    for text in made:
        assert compile_expression(text).uses_current, text
    read = _node(*[("parseCheck", [text, found])
                   for found in lists for text in _node(*[("makeCheck", [e, "7"]) for e in found])])
    assert [r["key"] for r in read] == [entry[0] for entry in entries]
    assert {r["value"] for r in read if "#" in entries[read.index(r)][2]} == {"7"}


def test_pasted_options_keep_their_values() -> None:
    old = [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}]
    pasted, edited, reordered, added = _node(
        ("optionsFromLines", ["甲\n乙\n\n丙\n", []]),
        ("optionsFromLines", ["是\n不是", old]),  # 否 edited in place keeps its value
        ("optionsFromLines", ["否\n是", old]),
        ("optionsFromLines", ["是\n否\n不清楚", old]),
    )
    assert [(o["value"], o["label"]) for o in pasted] == [("1", "甲"), ("2", "乙"), ("3", "丙")]
    assert [(o["value"], o["label"]) for o in edited] == [("yes", "是"), ("no", "不是")]
    assert [o["value"] for o in reordered] == ["no", "yes"]
    assert [(o["value"], o["label"]) for o in added] == [("yes", "是"), ("no", "否"), ("1", "不清楚")]


def test_matrix_rows_follow_the_unit_register() -> None:
    units = [{"code": "S.01", "name": "城关街道"}, {"code": "U01", "name": "发改局"},
             {"code": "U02", "name": "审批局"}]
    question = {"rows": [{"id": "U02", "label": "审批局（改名）", "unit": "U02"},
                         {"id": "other", "label": "其他"}]}
    [rows] = _node(("rowsForUnits", [question, {"__set__": ["S.01", "U02"]}, units]))
    assert rows == [{"id": "S_01", "label": "城关街道", "unit": "S.01"},
                    {"id": "U02", "label": "审批局（改名）", "unit": "U02"},
                    {"id": "other", "label": "其他"}]


def test_pasted_full_width_spaces_and_blank_lines_are_dropped() -> None:
    [pasted] = _node(("optionsFromLines", ["\u3000制造业\u3000\r\n\r\n \u3000\n建筑业 \n", []]))
    assert [o["label"] for o in pasted] == ["制造业", "建筑业"]


def test_dependents_of_deleted_questions_are_numbered_as_on_the_page() -> None:
    definition = {"sections": [
        {"id": "s1", "title": "甲", "questions": [
            {"name": "q1", "type": "single_choice", "label": "是否办理"},
            {"name": "q2", "type": "text", "label": "办理什么", "relevant": "${q9} = '1'"},
            {"name": "q3", "type": "number", "label": "人数", "constraint": ". <= 9"},
        ]},
        {"id": "s2", "title": "乙", "relevant": "${q9__U01} <= 2", "questions": [
            {"name": "q4", "type": "text", "label": "意见", "required": "${q1} = '1'"},
            {"name": "q5", "type": "text", "label": "其他", "choice_filter": "${q90} = 1"},
        ]},
    ]}
    gone, none, other = _node(("dependents", [definition, ["q9"]]),
                              ("dependents", [definition, ["q7"]]),
                              ("dependents", [definition, ["q1"]]))
    assert gone == ["第 2 题", "第 2 部分"]  # ${q9} and a matrix row ${q9__U01}, not ${q90}
    assert none == []
    assert other == ["第 4 题"]


def test_example_texts_left_in_are_found() -> None:
    definition = {"sections": [
        {"id": "s1", "title": "甲", "questions": [
            {"name": "q1", "type": "single_choice", "label": "请输入题目",
             "options": [{"value": "1", "label": "是"}]},
            {"name": "q2", "type": "dropdown", "label": "街道",
             "options": [{"value": "1", "label": "城关街道"}, {"value": "2", "label": "选项 2"}]},
            {"name": "q3", "type": "single_choice", "label": "请输入题目名称",
             "options": [{"value": "1", "label": "选项 10 元以下"}]},
        ]},
        {"id": "s2", "title": "乙", "questions": [{"name": "q4", "type": "text", "label": "意见"}]},
    ]}
    [found] = _node(("examplesLeft", [definition]))
    assert found == ["第 1 题", "第 2 题"]
