"""What pressing a button on one step of a paged questionnaire does (the no-JavaScript path).

`decide_step` turns a posted page into a decision; the caller performs it (save the draft and
redirect, show the page again with its problems, or submit). It is the same for invitation and
open links, and for the Litestar handlers and the respondents' ASGI fast path, which must
never disagree about where a respondent goes.

Without JavaScript a step shows its conditional questions too, so a page may carry answers to
questions that its own answers skip. Those are never dropped without a word: the step comes
back naming them ("skipped"), and the page then carries their names in `_skip_ack`, so pressing
the button again with them confirms (the skipped answers are not stored, as always).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from questionnaires.answers import coerce_form_answers, merge_section_answers, validate_answers
from questionnaires.flow import possible_sections, section_after, section_before
from questionnaires.model import Questionnaire
from questionnaires.skipped import SkippedAnswer, all_confirmed, skipped_answers

StepKind = Literal["prev", "next", "errors", "last_notice", "skipped", "submit"]
SKIP_ACK = "_skip_ack"  # the form field: the names of the skipped questions the notice showed


@dataclass(frozen=True)
class StepDecision:
    """`answers`: the draft with this page merged in. `target`: the step to go to (prev, next).
    `errors`: this page's problems (errors). A "submit" is validated by the submission itself
    (all steps at once), whose problems `problems_on_page` places."""

    kind: StepKind
    section_id: str
    answers: dict[str, object]
    target: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    skipped: tuple[SkippedAnswer, ...] = ()  # answers this page's answers skip (not confirmed)


def offered_next_step(questionnaire: Questionnaire, answers: Mapping[str, object],
                      section_id: str) -> bool:
    """Whether this step showed 下一页 (a later step was possible): pressing it must not submit
    when none is visible after all (see possible_sections)."""
    return possible_sections(questionnaire, answers, section_id)[-1] != section_id


def decide_step(
    questionnaire: Questionnaire, stored: Mapping[str, object], fields: Mapping[str, list[str]],
    section_id: str, action: str,
) -> StepDecision:
    """The decision for a page posted from `section_id` (a section of `questionnaire`) with the
    button `action` (prev, next, submit). 上一页 keeps what was typed without checking it."""
    submitted = coerce_form_answers(questionnaire, fields, section_id)
    answers = merge_section_answers(questionnaire, stored, submitted, section_id)
    if action == "prev":
        previous = section_before(questionnaire, answers, section_id) or section_id
        return StepDecision("prev", section_id, answers, target=previous)
    following = section_after(questionnaire, answers, section_id)
    skipped = _unconfirmed_skips(questionnaire, answers, submitted, section_id, fields)
    if following is None and not (action == "next" and
                                  offered_next_step(questionnaire, answers, section_id)):
        if skipped:
            return StepDecision("skipped", section_id, answers, skipped=skipped)
        # The last step: the submission checks every step, this one included, once.
        return StepDecision("submit", section_id, answers)
    errors = validate_answers(questionnaire, answers, section_id=section_id)
    if errors:
        return StepDecision("errors", section_id, answers, errors=errors, skipped=skipped)
    if skipped:
        return StepDecision("skipped", section_id, answers, skipped=skipped)
    if following is not None:
        return StepDecision("next", section_id, answers, target=following)
    return StepDecision("last_notice", section_id, answers)


def _unconfirmed_skips(
    questionnaire: Questionnaire, answers: Mapping[str, object], submitted: Mapping[str, object],
    section_id: str, fields: Mapping[str, list[str]],
) -> tuple[SkippedAnswer, ...]:
    """This page's answers to questions skipped by the answers, unless the page confirmed each
    of them (`_skip_ack`). Only a page with an answer to a conditional question evaluates the
    skip logic again: the respondents' usual pages (JavaScript disables hidden questions' fields)
    cost nothing more."""
    section = questionnaire.section(section_id)
    conditional = {question.name for question in section.questions
                   if (question.relevant or section.relevant) and question.name in submitted}
    if not conditional:
        return ()
    found = tuple(item for item in skipped_answers(questionnaire, answers)
                  if item.name in conditional)
    return () if all_confirmed(found, " ".join(fields.get(SKIP_ACK) or ())) else found


def problems_on_page(
    questionnaire: Questionnaire, problems: Mapping[str, str], section_id: str
) -> tuple[str, dict[str, str]]:
    """Where a refused submission's problems are shown: on the posted step when it has any (only
    its own, as when the step is checked alone), else on the first step that has one."""
    on_step = _of_section(questionnaire, problems, section_id)
    if on_step:
        return section_id, on_step
    for section in questionnaire.sections:
        if _of_section(questionnaire, problems, section.id):
            return section.id, dict(problems)
    return section_id, dict(problems)


def _of_section(questionnaire: Questionnaire, problems: Mapping[str, str],
                section_id: str) -> dict[str, str]:
    section = questionnaire.find_section(section_id)
    names = {question.name for question in section.questions} if section else set()
    return {key: message for key, message in problems.items()
            if key.split("__")[0] in names}
