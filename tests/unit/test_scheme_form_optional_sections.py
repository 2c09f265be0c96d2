"""Trial finding: the scheme form crashed (KeyError 'survey_periods', HTTP 500) on every
submit for a scheme without the optional sections the form always shows, such as the demo
scheme. Every optional section the form shows must be editable when the YAML lacks it."""

from __future__ import annotations

import re

import pytest
import yaml

from survey_app.services import appraisal
from survey_app.services.appraisal import AppraisalFailed
from survey_app.services.appraisal_scheme_form import apply_form, form_fields

DEMO = appraisal.example_yaml()  # the scheme the demo loads: no survey_periods section


def _submitted(text: str, **changes: str) -> dict[str, str]:
    """Every field with its shown value, as a browser submits the form, then the changes."""
    return {**{f.name: f.value for f in form_fields(text)}, **changes}


def test_the_demo_scheme_has_no_survey_periods() -> None:
    assert "survey_periods" not in yaml.safe_load(DEMO)


def test_an_unchanged_form_keeps_the_scheme_as_it_was() -> None:
    text, scheme = apply_form(DEMO, _submitted(DEMO))
    assert yaml.safe_load(text) == yaml.safe_load(DEMO)  # no defaults written in
    assert scheme.survey_gate.min_responses == 30


def test_the_minimum_response_rate_is_written_into_a_new_section() -> None:
    text, scheme = apply_form(DEMO, _submitted(DEMO, **{"survey_periods.min_response_rate": "0.25"}))
    assert yaml.safe_load(text)["survey_periods"] == {"min_response_rate": 0.25}
    assert scheme.survey_gate.min_response_rate == 0.25
    assert scheme.survey_gate.min_responses == 30


def test_a_valid_weight_change_on_the_demo_scheme() -> None:
    changes = {"classes.0.components.0.weight": "0.5", "classes.0.components.1.weight": "0.3"}
    text, _ = apply_form(DEMO, _submitted(DEMO, **changes))
    weights = [c["weight"] for c in yaml.safe_load(text)["classes"][0]["components"]]
    assert weights == [0.5, 0.3, 0.2]


def test_period_weights_not_summing_to_one_are_refused_with_a_message() -> None:
    with pytest.raises(AppraisalFailed, match=re.escape("期间权重之和为 1.1")):
        apply_form(DEMO, _submitted(DEMO, **{"periods.Q4": "0.5"}))


WARNINGS_WITHOUT_RED = DEMO.replace(
    "  red: {below: 75, consecutive_yellow: 2, on_veto: true}\n", ""
)


def test_a_missing_red_card_rule_shows_and_keeps_its_defaults() -> None:
    assert "red:" not in WARNINGS_WITHOUT_RED.split("classes:")[0]
    before = appraisal.parse_scheme_text(WARNINGS_WITHOUT_RED)
    text, scheme = apply_form(
        WARNINGS_WITHOUT_RED, _submitted(WARNINGS_WITHOUT_RED, **{"warnings.red.below": "70"})
    )
    red = scheme.classes[0].warnings.red
    assert red.below == 70
    # the rules the scheme already had by default are not silently dropped
    assert red.consecutive_yellow == before.classes[0].warnings.red.consecutive_yellow == 2
    assert red.on_veto is True
    assert yaml.safe_load(text)["warnings"]["red"]["below"] == 70
