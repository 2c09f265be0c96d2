"""Response quality of satisfaction surveys (research/scoring.md §A2.7): flag speeders and
straight-liners, review them (keep, exclude, restore) with a reason, publish the counts.
Split out of services/scores.py."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analysis.scoring.quality import (
    MatrixAnswers,
    QualityIssue,
    QualityThresholds,
    ResponseDuration,
    flag_speeders,
    flag_straight_lines,
)
from survey_app.db.queries import audit
from survey_app.db.queries import response_quality as quality_queries
from survey_app.db.queries import scores as queries
from survey_app.db.queries.scores import ScoredCampaign
from survey_app.errors import NotFound
from survey_app.services.scores import (
    ScoresError,
)
from survey_app.services.submissions import receipt_code

# --- response quality (§A2.7): flag, review, publish the counts ----------------------------

REVIEWED = "REVIEWED"  # stored beside the flags once a reviewer kept or excluded the response
MAX_REASON = 200


@dataclass(frozen=True)
class QualitySummary:
    campaign: ScoredCampaign
    complete: int
    excluded: int
    speeders: int
    straight_lines: int
    flagged: int  # responses with any flag
    pending: int  # flagged, still complete and not yet reviewed
    flagged_excluded: int  # flagged and excluded after review


def quality_codes(marks: str) -> list[str]:
    return [code for code in marks.split() if code != REVIEWED]


def quality_labels(marks: str) -> list[str]:
    known = {issue.value: issue.label for issue in QualityIssue}
    return [known[code] for code in quality_codes(marks) if code in known]


async def refresh_quality_flags(
    campaign_ids: Sequence[int], thresholds: QualityThresholds | None = None
) -> int:
    """Re-flag speeders and straight-liners; a reviewer's mark survives if the flags did not
    change. Returns the number of flagged responses. Nothing is excluded here."""
    thresholds = thresholds or QualityThresholds()
    flagged = 0
    for campaign_id in campaign_ids:
        durations = await quality_queries.response_durations(campaign_id)
        issues: dict[int, set[str]] = defaultdict(set)
        for flag in flag_speeders(
            [ResponseDuration(str(rid), float(seconds)) for rid, seconds in durations], thresholds
        ):
            issues[int(flag.response_id)].add(flag.issue.value)
        candidates = await quality_queries.uniform_matrices(campaign_id, thresholds.straight_line_min_rows)
        matrices = [
            MatrixAnswers(str(c.response_id), c.question, (str(c.level),) * c.rows) for c in candidates
        ]
        for flag in flag_straight_lines(matrices, thresholds):
            issues[int(flag.response_id)].add(flag.issue.value)
        old = await quality_queries.quality_marks(campaign_id)
        new = {}
        for response_id in set(old) | set(issues):
            codes = " ".join(sorted(issues.get(response_id, ())))
            previous = old.get(response_id, "")
            if codes and codes == " ".join(sorted(quality_codes(previous))):
                codes = previous  # unchanged: keep the reviewer's mark
            if codes != previous:
                new[response_id] = codes
        await quality_queries.write_quality_marks(new)
        flagged += len(issues)
    return flagged


async def quality_summaries(campaigns: Sequence[ScoredCampaign]) -> list[QualitySummary]:
    counts = await queries.status_counts([c.id for c in campaigns])
    result = []
    for campaign in campaigns:
        mine = [c for c in counts if c.campaign_id == campaign.id]

        def total(predicate: Callable[[queries.StatusCount], bool], rows: list = mine) -> int:
            return sum(c.count for c in rows if predicate(c))

        result.append(
            QualitySummary(
                campaign=campaign,
                complete=total(lambda c: c.status == "complete"),
                excluded=total(lambda c: c.status == "excluded"),
                speeders=total(lambda c: QualityIssue.SPEEDER.value in c.quality_flags.split()),
                straight_lines=total(lambda c: QualityIssue.STRAIGHT_LINE.value in c.quality_flags.split()),
                flagged=total(lambda c: bool(quality_codes(c.quality_flags))),
                pending=total(
                    lambda c: (
                        bool(quality_codes(c.quality_flags))
                        and c.status == "complete"
                        and REVIEWED not in c.quality_flags.split()
                    )
                ),
                flagged_excluded=total(
                    lambda c: bool(quality_codes(c.quality_flags)) and c.status == "excluded"
                ),
            )
        )
    return result


REVIEW_DECISIONS = {"exclude": "剔除", "keep": "保留", "restore": "恢复"}


async def review_response(
    response_id: int,
    decision: str,
    reason: str,
    *,
    actor_id: int,
    actor_name: str,
    ip: str,
    receipt: str = "",
) -> quality_queries.ReviewedResponse:
    """Exclude, keep or restore a response after review; the reason is required and audited.

    An unflagged response may be excluded only when found by its receipt code: the code is what
    a respondent or a complaint quotes, so the exclusion rests on an outside report, not a guess."""
    response = await quality_queries.find_response(response_id)
    if response is None:
        raise ScoresError("答卷不存在")
    if receipt:
        receipt = normalise_receipt(receipt)
        lookup = await quality_queries.receipt_lookup(response_id)
        if lookup is None or receipt_code(response_id, lookup.submission_id) != receipt:
            raise ScoresError("回执编号与答卷不符，请重新按回执编号查找")
    reason = reason.strip()
    if decision not in REVIEW_DECISIONS:
        raise ScoresError("请选择剔除、保留或恢复")
    if len(reason) < 2:
        raise ScoresError(f"请填写{REVIEW_DECISIONS[decision]}的理由（至少 2 个字）")
    if len(reason) > MAX_REASON:
        raise ScoresError(f"理由不能超过 {MAX_REASON} 个字")
    codes = quality_codes(response.quality_flags)
    marked = " ".join([*codes, REVIEWED]) if codes else ""
    if decision == "exclude":
        if response.status != "complete":
            raise ScoresError("只能剔除有效（已完成）的答卷")
        if not codes and not receipt:
            raise ScoresError("只有被标记为质量可疑的答卷才能在复核后剔除；其他答卷请按回执编号查找后剔除")
        await quality_queries.set_review(
            response_id, status="excluded", exclusion_reason=reason, quality_flags=marked
        )
    elif decision == "keep":
        if response.status != "complete" or not codes:
            raise ScoresError("只有被标记且仍有效的答卷可以复核保留")
        await quality_queries.set_review(
            response_id, status="complete", exclusion_reason="", quality_flags=marked
        )
    else:
        if response.status != "excluded":
            raise ScoresError("只有已剔除的答卷可以恢复")
        await quality_queries.set_review(
            response_id, status="complete", exclusion_reason="", quality_flags=marked
        )
    await audit.record_event(
        f"response.{decision}",
        actor_id=actor_id,
        actor_name=actor_name,
        target=f"答卷 {response_id}",
        ip=ip,
        detail={
            "campaign": response.campaign_id,
            "reason": reason,
            "flags": codes,
            **({"receipt": receipt} if receipt else {}),
        },
    )
    found = await quality_queries.find_response(response_id)
    assert found is not None
    return found


async def campaign_to_review(campaign_id: int) -> ScoredCampaign:
    campaign = await quality_queries.find_campaign(campaign_id)
    if campaign is None:
        raise NotFound("调查批次不存在")
    return campaign


async def flagged_responses(campaign_id: int) -> list[quality_queries.ReviewedResponse]:
    return await quality_queries.flagged_responses(campaign_id)


async def campaign_of_response(response_id: int) -> int:
    found = await quality_queries.find_response(response_id)
    if found is None:
        raise NotFound("答卷不存在")
    return found.campaign_id


# --- a response found by its receipt code (回执编号) ------------------------------------------

_RECEIPT = re.compile(r"^(\d{6,12})-([0-9A-F]{8})$")
_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "‐": "-"})


def normalise_receipt(text: str) -> str:
    """The code as printed: spaces dropped, letters upper case, any dash a hyphen (a code read
    out on the phone or copied from a paper form is typed in many ways)."""
    return "".join(text.split()).translate(_DASHES).upper()[:40]


@dataclass(frozen=True)
class FoundReceipt:
    code: str
    campaign_name: str
    campaign_period: str
    lookup: quality_queries.ReceiptLookup


async def find_by_receipt(text: str) -> FoundReceipt:
    """The response a receipt code belongs to; the code's check digits must match, so a mistyped
    or guessed code finds nothing rather than someone else's response."""
    code = normalise_receipt(text)
    if not code:
        raise ScoresError("请输入回执编号")
    match = _RECEIPT.match(code)
    if match is None:
        raise ScoresError(f"回执编号「{code}」格式不对：应为数字-8 位字母数字，例如 000123-1A2B3C4D")
    lookup = await quality_queries.receipt_lookup(int(match[1]))
    if lookup is None or receipt_code(lookup.response.id, lookup.submission_id) != code:
        raise ScoresError(f"没有找到回执编号为 {code} 的答卷，请核对后重试")
    campaign = await quality_queries.find_campaign(lookup.response.campaign_id)
    return FoundReceipt(
        code=code,
        campaign_name=campaign.name if campaign else "",
        campaign_period=campaign.period if campaign else "",
        lookup=lookup,
    )
