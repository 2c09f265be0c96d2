"""Invitations: the sampled respondents of a campaign, their tokens, status and reminders.

"Anonymous but tracked": these functions join invitations to respondents (who was invited,
who has responded) but never to responses or answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from survey_app.db.queries._rows import aware, utcnow
from survey_app.db.queries.roster import batches, column_list, like_pattern, row_placeholders
from survey_app.db.tables import Invitation, Respondent

STATUS_REPLACED = "replaced"


@dataclass(frozen=True)
class NewInvitation:
    respondent_id: int
    token: str
    stratum: str
    design_weight: float


@dataclass(frozen=True)
class InvitationLine:
    """An invitation with its respondent's roster fields (never contacts, never answers)."""

    id: int
    campaign_id: int
    respondent_id: int | None
    respondent_key: str
    respondent_kind: str
    respondent_name: str
    industry: str
    size_class: str
    park: str
    street: str
    community: str
    token: str
    stratum: str
    design_weight: float
    status: str
    reminder_count: int
    last_reminded_at: dt.datetime | None
    replaced_by: int | None
    replacement_reason: str
    responded_at: dt.datetime | None


@dataclass(frozen=True)
class StatusCount:
    stratum: str
    status: str
    replacement_reason: str
    count: int


_LINE_COLUMNS = (
    Invitation.id,
    Invitation.campaign,
    Invitation.respondent,
    Invitation.respondent.key.as_alias("r_key"),
    Invitation.respondent.kind.as_alias("r_kind"),
    Invitation.respondent.name.as_alias("r_name"),
    Invitation.respondent.industry.as_alias("r_industry"),
    Invitation.respondent.size_class.as_alias("r_size"),
    Invitation.respondent.park.as_alias("r_park"),
    Invitation.respondent.street.as_alias("r_street"),
    Invitation.respondent.community.as_alias("r_community"),
    Invitation.token,
    Invitation.stratum,
    Invitation.design_weight,
    Invitation.status,
    Invitation.reminder_count,
    Invitation.last_reminded_at,
    Invitation.replaced_by,
    Invitation.replacement_reason,
    Invitation.responded_at,
)


def _line(row: dict[str, Any]) -> InvitationLine:
    return InvitationLine(
        id=row["id"], campaign_id=row["campaign"], respondent_id=row["respondent"],
        respondent_key=row["r_key"] or "", respondent_kind=row["r_kind"] or "",
        respondent_name=row["r_name"] or "", industry=row["r_industry"] or "",
        size_class=row["r_size"] or "", park=row["r_park"] or "", street=row["r_street"] or "",
        community=row["r_community"] or "", token=row["token"], stratum=row["stratum"],
        design_weight=float(row["design_weight"]), status=row["status"],
        reminder_count=int(row["reminder_count"] or 0),
        last_reminded_at=aware(row["last_reminded_at"]), replaced_by=row["replaced_by"],
        replacement_reason=row["replacement_reason"], responded_at=aware(row["responded_at"]),
    )


def _in_campaign(query: Any, campaign_id: int, statuses: Sequence[str] | None) -> Any:
    query = query.where(Invitation.campaign == campaign_id)
    if statuses is not None:
        query = query.where(Invitation.status.is_in(list(statuses)))
    return query


async def invitation_lines(
    campaign_id: int, statuses: Sequence[str] | None = None, offset: int = 0,
    limit: int | None = None,
) -> list[InvitationLine]:
    query = _in_campaign(Invitation.select(*_LINE_COLUMNS), campaign_id, statuses)
    query = query.order_by(Invitation.id)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [_line(r) for r in await query]


async def count_invitations(campaign_id: int, statuses: Sequence[str] | None = None) -> int:
    return int(await _in_campaign(Invitation.count(), campaign_id, statuses))


async def find_invitation(invitation_id: int) -> InvitationLine | None:
    row = await Invitation.select(*_LINE_COLUMNS).where(Invitation.id == invitation_id).first()
    return _line(row) if row else None


async def find_by_token(campaign_id: int, token: str) -> InvitationLine | None:
    row = await Invitation.select(*_LINE_COLUMNS).where(
        (Invitation.campaign == campaign_id) & (Invitation.token == token)
    ).first()
    return _line(row) if row else None


async def search_by_respondent_name(
    campaign_id: int, text: str, limit: int
) -> list[InvitationLine]:
    rows = await Invitation.select(*_LINE_COLUMNS).where(
        (Invitation.campaign == campaign_id)
        & Invitation.respondent.name.like(like_pattern(text))
    ).order_by(Invitation.id).limit(limit)
    return [_line(r) for r in rows]


async def status_counts(campaign_id: int) -> list[StatusCount]:
    rows = await Invitation.raw(
        "SELECT stratum, status, replacement_reason, COUNT(*) AS n FROM invitation "
        "WHERE campaign = {} GROUP BY stratum, status, replacement_reason",
        campaign_id,
    )
    return [
        StatusCount(r["stratum"], r["status"], r["replacement_reason"], int(r["n"])) for r in rows
    ]


async def mark_reminded(
    campaign_id: int, invitation_ids: Sequence[int], awaiting: Sequence[str]
) -> int:
    """Count one more reminder for each invitation still awaiting an answer."""
    if not invitation_ids:
        return 0
    rows = await Invitation.update(
        {Invitation.reminder_count: Invitation.reminder_count + 1,
         Invitation.last_reminded_at: utcnow()}
    ).where(
        (Invitation.campaign == campaign_id)
        & Invitation.id.is_in(list(invitation_ids))
        & Invitation.status.is_in(list(awaiting))
    ).returning(Invitation.id)
    return len(rows)


async def replace_invitation(
    old_id: int, awaiting: Sequence[str], new: NewInvitation, reason: str,
    respondent_status: str | None,
) -> int | None:
    """Retire an awaiting invitation and add its replacement, atomically.

    Returns the new invitation's id, or None when the old one is no longer awaiting (it was
    answered or replaced meanwhile); then nothing is written.
    """
    async with Invitation._meta.db.transaction():
        old = await Invitation.select(Invitation.campaign, Invitation.respondent).where(
            (Invitation.id == old_id) & Invitation.status.is_in(list(awaiting))
        ).first()
        if old is None:
            return None
        rows = await Invitation.insert(
            Invitation(campaign=old["campaign"], respondent=new.respondent_id, token=new.token,
                       stratum=new.stratum, design_weight=new.design_weight)
        ).returning(Invitation.id)
        new_id = int(rows[0]["id"])
        await Invitation.update(
            {Invitation.status: STATUS_REPLACED, Invitation.replaced_by: new_id,
             Invitation.replacement_reason: reason}
        ).where(Invitation.id == old_id)
        if respondent_status and old["respondent"] is not None:
            await Respondent.update(
                {Respondent.status: respondent_status, Respondent.updated_at: utcnow()}
            ).where(Respondent.id == old["respondent"])
    return new_id


async def insert_invitations(campaign_id: int, invitations: Sequence[NewInvitation]) -> None:
    """Insert in batches (status and timestamps take their column defaults); the caller holds
    the transaction."""
    columns = ("campaign", "respondent", "token", "stratum", "design_weight")
    for batch in batches(list(invitations)):
        values: list[Any] = []
        for i in batch:
            values.extend([campaign_id, i.respondent_id, i.token, i.stratum, i.design_weight])
        await Invitation.raw(
            f"INSERT INTO invitation ({column_list(columns)}) "  # noqa: S608 (fixed names)
            f"VALUES {row_placeholders(batch, columns)}",
            *values,
        )


async def keys_in_campaign(campaign_id: int) -> list[tuple[str, str]]:
    """(respondent key, stratum label) of every invitation, replaced ones included."""
    rows = await Invitation.select(
        Invitation.respondent.key.as_alias("r_key"), Invitation.stratum
    ).where((Invitation.campaign == campaign_id) & Invitation.respondent.is_not_null())
    return [(r["r_key"], r["stratum"]) for r in rows]


async def keys_surveyed_in(campaign_ids: Sequence[int]) -> frozenset[str]:
    """Respondents invited (and not replaced) in these campaigns."""
    if not campaign_ids:
        return frozenset()
    rows = await Invitation.select(Invitation.respondent.key.as_alias("r_key")).where(
        Invitation.campaign.is_in(list(campaign_ids))
        & (Invitation.status != STATUS_REPLACED)
        & Invitation.respondent.is_not_null()
    )
    return frozenset(r["r_key"] for r in rows)


async def awaiting_tokens(
    campaign_ids: Sequence[int], awaiting: Sequence[str]
) -> list[tuple[str, str]]:
    """(campaign code, token) of every invitation still awaiting an answer."""
    if not campaign_ids:
        return []
    rows = await Invitation.select(
        Invitation.campaign.code.as_alias("c_code"), Invitation.token
    ).where(
        Invitation.campaign.is_in(list(campaign_ids)) & Invitation.status.is_in(list(awaiting))
    ).order_by(Invitation.campaign).order_by(Invitation.id)
    return [(r["c_code"], r["token"]) for r in rows]

