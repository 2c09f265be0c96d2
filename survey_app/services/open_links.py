"""Open links (公开链接) for posters: created, paused, resumed and revoked per campaign by an
administrator (audited), printed as an A4 poster with a QR code and the short URL; answered
page by page like an invitation, with the draft kept per device.

A device is known by a random cookie (or, before it has one, its address and browser), hashed
with the site key and the campaign; the same hash marks its response, so a device that has
already submitted is told so as soon as it opens the link again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from typing import Any

from survey_app.db.queries import audit
from survey_app.db.queries import open_links as queries
from survey_app.db.queries import submissions as submission_queries
from survey_app.services.campaigns import CampaignError, CampaignRecord, require_campaign
from survey_app.services.distribution import qr_svg
from survey_app.services.roster import Actor
from survey_app.services.submissions import LinkState, SubmissionRefused, open_link, storable_draft

TOKEN_BYTES = 12  # 16 URL-safe characters: short enough to type from a poster


@dataclass(frozen=True)
class OpenLinkView:
    token: str | None
    paused: bool

    @property
    def exists(self) -> bool:
        return self.token is not None


def open_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/o/{token}"


async def state(campaign_id: int) -> OpenLinkView:
    token, paused = await queries.open_link_state(campaign_id)
    return OpenLinkView(token, paused)


async def _audit(action: str, campaign: CampaignRecord, actor: Actor) -> None:
    await audit.record_event(action, actor_id=actor.id, actor_name=actor.name,
                             target=campaign.code, ip=actor.ip)


async def create(campaign_id: int, actor: Actor) -> str:
    campaign = await require_campaign(campaign_id)
    if campaign.status == "closed":
        raise CampaignError("批次已结束，不能再创建公开链接")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    if not await queries.set_token(campaign_id, token):
        raise CampaignError("该批次已有公开链接；如需更换，请先作废原链接")
    await _audit("open_link.create", campaign, actor)
    return token


async def set_paused(campaign_id: int, paused: bool, actor: Actor) -> None:
    campaign = await require_campaign(campaign_id)
    if not await queries.set_paused(campaign_id, paused):
        raise CampaignError("该批次还没有公开链接")
    await _audit("open_link.pause" if paused else "open_link.resume", campaign, actor)


async def revoke(campaign_id: int, actor: Actor) -> None:
    """The link stops working for good (printed posters go dead); drafts on it are dropped."""
    campaign = await require_campaign(campaign_id)
    token, _ = await queries.open_link_state(campaign_id)
    if token is None:
        raise CampaignError("该批次还没有公开链接")
    await queries.revoke(campaign_id)
    await _audit("open_link.revoke", campaign, actor)


@dataclass(frozen=True)
class Poster:
    campaign: CampaignRecord
    url: str
    svg: str


async def poster(campaign_id: int, base_url: str, actor: Actor) -> Poster:
    campaign = await require_campaign(campaign_id)
    token, _ = await queries.open_link_state(campaign_id)
    if token is None:
        raise CampaignError("该批次还没有公开链接，请先创建")
    url = open_url(base_url, token)
    await _audit("open_link.poster", campaign, actor)
    return Poster(campaign, url, qr_svg(url))


# --- respondents ------------------------------------------------------------------------------


def device_hash(secret_key: str, campaign_id: int, device: str) -> str:
    return hashlib.sha256(f"{secret_key}|{campaign_id}|{device}".encode()).hexdigest()


def _draft_key(state: LinkState, device: str) -> str:
    return f"{state.context.campaign_id}:{device}"


async def open_for_device(token: str, secret_key: str, device: str, *,
                          new_device: bool = False,
                          allow_paused: bool = False) -> tuple[LinkState, str]:
    """The open link's state with this device's draft, and the device's hash; refused (as
    "used") when the device has already submitted. A `new_device` (an id just drawn at random,
    the first visit: a poster's burst) has neither, so only the link is read. `allow_paused`:
    see submissions.open_link (a page posted while the link is paused is still kept)."""
    state_ = await open_link(token, open_mode=True, allow_paused=allow_paused)
    hashed = device_hash(secret_key, state_.context.campaign_id, device)
    if new_device:
        return state_, hashed
    if await submission_queries.device_has_responded(state_.context.campaign_id, hashed):
        raise SubmissionRefused("used", "这台设备已经提交过本问卷，感谢您的参与！每台设备只能提交一次。")
    draft, section = await queries.load_draft(_draft_key(state_, hashed))
    return replace(state_, draft=draft, draft_section=section), hashed


async def save_draft(state_: LinkState, hashed: str, answers: dict[str, Any],
                     section: str) -> bool:
    """Keep a device's answers so far (validated, bounded and masked like an invitation's draft);
    False when nothing was kept."""
    draft = storable_draft(state_.questionnaire, answers)
    if draft is None:
        return False
    await queries.save_draft(state_.context.campaign_id, _draft_key(state_, hashed), draft,
                             section)
    return True


async def forget_draft(state_: LinkState, hashed: str) -> None:
    await queries.delete_draft(_draft_key(state_, hashed))
