"""Simulated respondents: plausible, valid answers to any questionnaire.

Used by the demo loader, the tests and the load benchmarks. Ratings follow a per-unit
distribution (best level first, then 不了解), so demo units differ the way real units do.
Pure and deterministic for a given random.Random.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from questionnaires.answers import validate_answers
from questionnaires.flow import visible_questions
from questionnaires.model import UNKNOWN, Question, Questionnaire, QuestionType

# 非常满意, 满意, 基本满意, 不满意, 非常不满意, 不了解
Profile = Sequence[float]
DEFAULT_PROFILE: Profile = (0.45, 0.35, 0.12, 0.04, 0.01, 0.03)


def _level(rng: random.Random, profile: Profile, allow_unknown: bool) -> int | str:
    weights = list(profile[:5]) + ([profile[5]] if allow_unknown and len(profile) > 5 else [])
    pick = rng.choices(range(len(weights)), weights=weights)[0]
    return UNKNOWN if pick == 5 else 5 - pick


def _answer(
    question: Question,
    rng: random.Random,
    profile_for: Callable[[str], Profile],
    opinion_for: Callable[[str], str | None],
) -> Any:
    kind = question.type
    values = [o.value for o in question.options]
    if kind in (QuestionType.SINGLE_CHOICE, QuestionType.DROPDOWN):
        if set(values) == {"yes", "no"}:
            return "yes" if rng.random() < 0.7 else "no"
        return rng.choice(values)
    if kind == QuestionType.MULTIPLE_CHOICE:
        if "none" in values and rng.random() < 0.3:
            return ["none"]
        pool = [v for v in values if v != "none"]
        count = rng.randint(1, min(len(pool), question.max_choices or 3, 3))
        return sorted(rng.sample(pool, count), key=values.index)
    if kind == QuestionType.RATING:
        return _level(rng, profile_for(question.unit_code), question.allow_unknown)
    if kind == QuestionType.MATRIX_RATING:
        return {
            row.id: _level(rng, profile_for(row.unit_code or question.unit_code),
                           question.allow_unknown)
            for row in question.rows
        }
    if kind == QuestionType.SCALE10:
        return min(10, max(0, round(rng.gauss(8, 1.5))))
    if kind == QuestionType.NUMBER:
        low = int(question.min_value or 0)
        high = int(question.max_value if question.max_value is not None else low + 100)
        return rng.randint(low, max(low, high))
    if kind == QuestionType.DATE:
        return "2026-10-15"
    if kind in (QuestionType.TEXT, QuestionType.TEXTAREA):
        if question.opinion or kind == QuestionType.TEXTAREA:
            return opinion_for(question.unit_code) or ("无" if question.required else None)
        return "其他方面" if question.required else None
    return None


def simulate_answers(
    questionnaire: Questionnaire,
    rng: random.Random,
    profiles: Mapping[str, Profile] | None = None,
    opinion_for: Callable[[str], str | None] = lambda unit: None,
) -> dict[str, Any]:
    """One respondent's answers: only visible questions, valid against the definition."""
    profiles = profiles or {}

    def profile_for(unit: str) -> Profile:
        return profiles.get(unit, DEFAULT_PROFILE)

    answers: dict[str, Any] = {}
    for question in questionnaire.iter_questions():
        if question.name not in visible_questions(questionnaire, answers):
            continue
        value = _answer(question, rng, profile_for, opinion_for)
        if value is not None:
            answers[question.name] = value
    # Constraints the simulator does not model (rare) are resolved by dropping that answer.
    for _ in range(3):
        problems = validate_answers(questionnaire, answers)
        if not problems:
            break
        for key in problems:
            answers.pop(key.split("__")[0], None)
    return answers
