"""The public XLSForm corpus (tests/data/xlsforms/): no crash, most of what pyxform accepts
imports, and pyxform accepts every export of an imported form, which reads back equal."""

from __future__ import annotations

import pytest

from questionnaires.xlsform import read_xlsform, write_xlsform
from tests.support.xlsform_corpus import corpus_forms, measure

# Measured with bench/xlsform_corpus.py; a regression below this floor fails.
MIN_IMPORTED_SHARE = 0.95
MIN_WITH_LOGIC_SHARE = 0.90  # imported without leaving out any condition


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    return measure(corpus_forms())


def test_corpus_is_varied_and_mostly_accepted_by_pyxform(result) -> None:  # type: ignore[no-untyped-def]
    assert result.total >= 300
    assert len(result.accepted) >= 250


def test_no_form_crashes_the_importer(result) -> None:  # type: ignore[no-untyped-def]
    assert result.crashed == []


def test_most_forms_pyxform_accepts_import(result) -> None:  # type: ignore[no-untyped-def]
    assert len(result.imported) / len(result.accepted) >= MIN_IMPORTED_SHARE
    with_logic = len(result.imported) - len(result.logic_dropped)
    assert with_logic / len(result.accepted) >= MIN_WITH_LOGIC_SHARE


def test_every_refusal_is_located_or_names_its_cause(result) -> None:  # type: ignore[no-untyped-def]
    for name, problems in result.refused.items():
        assert problems, name
        assert all("：" in problem or "工作表" in problem for problem in problems), (name, problems)


def test_pyxform_accepts_every_export_of_an_imported_form(result) -> None:  # type: ignore[no-untyped-def]
    assert result.imported
    assert result.export_refused == []


def test_export_of_every_imported_form_reads_back_equal(result) -> None:  # type: ignore[no-untyped-def]
    forms = {form.name: form for form in corpus_forms()}
    for name in result.imported:
        questionnaire = read_xlsform(forms[name].data)
        assert read_xlsform(write_xlsform(questionnaire)) == questionnaire, name
