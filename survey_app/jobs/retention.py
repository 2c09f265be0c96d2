"""Job "retention.purge": personal-information retention (PIPL; 等保 个人信息保护).

For campaigns whose results became final more than `days` days ago (default 180), cut the
roster-to-invitation link and delete saved drafts; responses and answers stay. Each campaign
actually changed is audited. Re-running is harmless: already purged campaigns change nothing
and are not audited again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from survey_app.config import Settings
from survey_app.db.queries import audit
from survey_app.db.queries import retention as queries
from survey_app.db.queries._rows import utcnow
from survey_app.jobs.runner import JobContext, JobFailed, PeriodicJob, job_handler

JOB_KIND = "retention.purge"
DEFAULT_DAYS = 180
MAX_DAYS = 3650


def daily_purge(settings: Settings) -> PeriodicJob:
    """What every worker schedules: the purge once a day with the configured period."""
    return PeriodicJob(JOB_KIND, {"days": settings.retention_days}, dt.timedelta(days=1))


def retention_days(params: dict[str, Any]) -> int:
    raw = params.get("days", DEFAULT_DAYS)
    try:
        days = int(raw)
    except (TypeError, ValueError):
        raise JobFailed(f"保留天数“{raw}”不是整数") from None
    if not 1 <= days <= MAX_DAYS:
        raise JobFailed(f"保留天数 {days} 超出允许范围 1–{MAX_DAYS}")
    return days


@job_handler(JOB_KIND)
async def purge_personal_information(context: JobContext) -> dict[str, Any]:
    params = context.params
    days = retention_days(params)
    due = await queries.campaigns_final_before(utcnow() - dt.timedelta(days=days))
    purged: list[dict[str, Any]] = []
    for position, campaign in enumerate(due, start=1):
        counts = await queries.purge_roster_links(campaign.id)
        if counts.unlinked_invitations or counts.deleted_drafts:
            detail = {"days": days, "unlinked_invitations": counts.unlinked_invitations,
                      "deleted_drafts": counts.deleted_drafts}
            await audit.record_event(
                JOB_KIND, actor_id=context.created_by,
                actor_name=str(params.get("actor_name", "system")),
                target=f"campaign:{campaign.code}", ip=str(params.get("ip", "")), detail=detail,
            )
            purged.append({"campaign": campaign.code, **detail})
        await context.progress(100 * position // len(due), f"已处理 {position}/{len(due)} 个调查批次")
    return {"url": "/admin/audit", "days": days, "campaigns_checked": len(due), "purged": purged}
