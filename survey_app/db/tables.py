"""The database schema (DESIGN.md §3). Schema only: every query lives in db/queries/.

Personal information (contact names and phones) lives only in `respondent_contact`, apart from
answers. Responses carry the stratum and design weight they were drawn with, so scoring never
needs the roster-to-invitation link (which a retention job may delete).
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Unit(Table, tablename="unit"):
    """被考评单位: an appraised government unit."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    code = Varchar(length=32, unique=True, null=False)
    name = Varchar(length=128, null=False)
    category = Varchar(length=32, null=False)  # 职能部门, 街道园区 …
    active = Boolean(default=True)
    sort_order = Integer(default=0)


class UnitCategory(Table, tablename="unit_category"):
    """A unit class offered when creating or editing a unit (migration 0011)."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    name = Varchar(length=32, unique=True, null=False)
    sort_order = Integer(default=0)


class User(Table, tablename="app_user"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    username = Varchar(length=64, unique=True, null=False)
    display_name = Varchar(length=64, default="")
    password_hash = Varchar(length=256, null=False)
    role = Varchar(length=16, null=False)  # admin, analyst, office, unit_viewer, data_entry
    unit = ForeignKey(Unit, null=True, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    must_change_password = Boolean(default=False)
    password_changed_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # Second factor (migration 0007). Secrets are sealed with AES-GCM (services/secretbox.py);
    # the pending one waits for its first code while the active one (if any) stays valid.
    mfa_secret = Varchar(length=128, default="")
    mfa_pending_secret = Varchar(length=128, default="")
    mfa_enabled_at = Timestamptz(null=True, default=None)
    mfa_last_step = BigInt(default=0)  # last accepted TOTP time step: a code works once


class MfaRecoveryCode(Table, tablename="mfa_recovery_code"):
    """One-time recovery codes, stored as keyed hashes (services/secretbox.code_digest)."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64, null=False)
    created_at = Timestamptz(default=TimestamptzNow())
    used_at = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="user_session"):
    """Server-side staff sessions; the cookie holds a random id, the table its SHA-256."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    id_hash = Varchar(length=64, unique=True, null=False)
    user = ForeignKey(User, null=False, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow(), index=True)
    ip = Varchar(length=64, default="")
    # Migration 0007. A session of a user who must use a second factor is "half logged in"
    # until mfa_verified_at is set; reauth_at is the last password/code confirmation (step-up).
    mfa_verified_at = Timestamptz(null=True, default=None)
    reauth_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    name = Varchar(length=64, null=False)
    token_hash = Varchar(length=64, unique=True, null=False)
    scopes = Varchar(length=256, default="")  # space-separated: scores:read appraisal:read
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)
    revoked = Boolean(default=False)
    last_used_at = Timestamptz(null=True, default=None)


class AuditLog(Table, tablename="audit_log"):
    """Append-only record of security-relevant events; never holds passwords, tokens or PII."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    actor_name = Varchar(length=64, default="")
    action = Varchar(length=64, null=False, index=True)
    target = Varchar(length=128, default="")
    success = Boolean(default=True)
    ip = Varchar(length=64, default="")
    detail = JSONB(default={})
    # Hash chain (migration 0006): each entry's SHA-256 covers its own fields and the previous
    # entry's hash, so an edited or deleted entry breaks the chain (`survey-app audit-verify`).
    prev_hash = Varchar(length=64, default="")
    entry_hash = Varchar(length=64, default="")


class Job(Table, tablename="job"):
    """Long work run off the request path; workers claim rows atomically."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    kind = Varchar(length=64, null=False)
    params = JSONB(default={})
    status = Varchar(length=16, default="queued", index=True)  # queued running done failed
    progress = SmallInt(default=0)
    message = Varchar(length=256, default="")
    result = JSONB(default={})
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    heartbeat_at = Timestamptz(null=True, default=None)
    worker = Varchar(length=64, default="")
    attempts = SmallInt(default=0)


class Respondent(Table, tablename="respondent"):
    """A roster (样本框) entry. Contact details live in RespondentContact."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    kind = Varchar(length=16, null=False)  # enterprise | resident
    key = Varchar(length=64, unique=True, null=False)  # USCC for enterprises, R-… for residents
    name = Varchar(length=128, default="")
    industry = Varchar(length=64, default="")
    size_class = Varchar(length=32, default="")
    park = Varchar(length=64, default="")
    street = Varchar(length=64, default="")
    community = Varchar(length=64, default="")
    age_band = Varchar(length=16, default="")
    status = Varchar(length=16, default="active")  # active, closed, unreachable
    updated_at = Timestamptz(default=TimestamptzNow())


class RespondentContact(Table, tablename="respondent_contact"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    respondent = ForeignKey(Respondent, null=False, unique=True, on_delete=OnDelete.cascade)
    contact_name = Varchar(length=64, default="")
    phone = Varchar(length=32, default="")


class Questionnaire(Table, tablename="questionnaire"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    code = Varchar(length=64, unique=True, null=False)
    title = Varchar(length=200, null=False)
    audience = Varchar(length=16, null=False)  # enterprise | resident
    created_at = Timestamptz(default=TimestamptzNow())


class QuestionnaireVersion(Table, tablename="questionnaire_version"):
    """Immutable once published; responses point at the version they answered."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    questionnaire = ForeignKey(Questionnaire, null=False, on_delete=OnDelete.cascade)
    version_no = Integer(null=False)
    status = Varchar(length=16, default="draft")  # draft | published
    definition = JSONB(null=False)
    definition_hash = Varchar(length=64, null=False)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    # UNIQUE (questionnaire, version_no): a unique index made by migration 0002.


class Campaign(Table, tablename="campaign"):
    """调查批次."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    code = Varchar(length=64, unique=True, null=False)
    name = Varchar(length=200, null=False)
    version = ForeignKey(QuestionnaireVersion, null=False, on_delete=OnDelete.restrict)
    audience = Varchar(length=16, null=False)
    period = Varchar(length=16, null=False, index=True)  # 2026-Q3
    opens_at = Timestamptz(null=True, default=None)
    closes_at = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="draft")  # draft open closed
    sampling_plan = JSONB(default={})
    seed = BigInt(null=True, default=None)
    roster_hash = Varchar(length=64, default="")
    open_link_token = Varchar(length=64, null=True, default=None, unique=True)
    open_link_paused = Boolean(default=False)  # migration 0012: the poster link is on hold
    results_final_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Invitation(Table, tablename="invitation"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    campaign = ForeignKey(Campaign, null=False, on_delete=OnDelete.cascade)
    respondent = ForeignKey(Respondent, null=True, on_delete=OnDelete.set_null)
    token = Varchar(length=64, unique=True, null=False)  # ≥128 bits, URL-safe
    stratum = Varchar(length=128, default="")
    design_weight = DoublePrecision(default=1.0)
    status = Varchar(length=16, default="pending", index=True)
    reminder_count = SmallInt(default=0)
    last_reminded_at = Timestamptz(null=True, default=None)
    replaced_by: ForeignKey = ForeignKey("self", null=True, on_delete=OnDelete.set_null)
    replacement_reason = Varchar(length=32, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    responded_at = Timestamptz(null=True, default=None)


class Draft(Table, tablename="response_draft"):
    """Server-side saved answers so a respondent can resume on any device."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    invitation = ForeignKey(Invitation, null=False, unique=True, on_delete=OnDelete.cascade)
    answers = JSONB(default={})
    section = Varchar(length=64, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class OpenDraft(Table, tablename="open_draft"):
    """Saved answers of an open-link respondent, per device (migration 0012). `key` is the
    campaign id and the device's keyed hash, so one device resumes its own draft only."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    campaign = ForeignKey(Campaign, null=False, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=160, unique=True, null=False)
    answers = JSONB(default={})
    section = Varchar(length=64, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class Response(Table, tablename="response"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    campaign = ForeignKey(Campaign, null=False, on_delete=OnDelete.restrict, index=True)
    version = ForeignKey(QuestionnaireVersion, null=False, on_delete=OnDelete.restrict)
    # One completed response per invitation: UNIQUE (NULL for open-link responses).
    invitation = ForeignKey(Invitation, null=True, unique=True, on_delete=OnDelete.set_null)
    submission_id = Varchar(length=64, unique=True, null=False)
    payload_hash = Varchar(length=64, null=False)
    channel = Varchar(length=16, default="online")  # online paper interview phone open
    status = Varchar(length=16, default="complete")  # complete partial excluded
    exclusion_reason = Varchar(length=200, default="")
    quality_flags = Varchar(length=64, default="")
    answers = JSONB(default={})
    stratum = Varchar(length=128, default="")
    design_weight = DoublePrecision(default=1.0)
    started_at = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(default=TimestamptzNow())
    duration_seconds = Integer(null=True, default=None)
    entered_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    device_hash = Varchar(length=64, default="")


class Answer(Table, tablename="answer"):
    """One scored rating (a rating question or a matrix row), normalised for SQL aggregation."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    response = ForeignKey(Response, null=False, on_delete=OnDelete.cascade)
    # A copy of the response's campaign: joined through, not checked per row (migration 0019).
    campaign = ForeignKey(Campaign, null=False, on_delete=OnDelete.cascade)
    question = Varchar(length=64, null=False)
    row = Varchar(length=64, default="")
    unit_code = Varchar(length=32, default="")
    dimension = Varchar(length=32, default="")
    level = SmallInt(null=True, default=None)  # 5 非常满意 … 1 非常不满意; NULL = 不了解
    stratum = Varchar(length=128, default="")
    weight = DoublePrecision(default=1.0)


class UnitRating(Table, tablename="unit_rating"):
    """One response's ratings of one unit as a string, one character per rated item of the
    unit (questionnaires/ratings.py): the grain unit scores are aggregated at. Written in the
    same transaction as the answer rows it summarises."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    response = ForeignKey(Response, null=False, on_delete=OnDelete.cascade)
    # A copy of the response's campaign: joined through, not checked per row (migration 0019).
    campaign = ForeignKey(Campaign, null=False, on_delete=OnDelete.cascade)
    unit_code = Varchar(length=32, null=False)
    stratum = Varchar(length=128, default="")
    weight = DoublePrecision(default=1.0)
    levels = Text(null=False)  # "54-0": 1–5 level, 0 不了解, - no answer


class RateWindow(Table, tablename="rate_window"):
    """Hits of one client in one fixed time window, shared by every server process. The client
    is an HMAC of its address (no raw address stored)."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    bucket = Varchar(length=128, unique=True, null=False)  # scope:hmac:window number
    hits = Integer(default=0)
    ends_at = BigInt(default=0, index=True)  # Unix seconds: rows past this are pruned


class ThemeRun(Table, tablename="theme_run"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    scope = JSONB(default={})
    status = Varchar(length=16, default="queued")
    k_requested = Integer(null=True, default=None)
    seed = Integer(default=0)
    model = JSONB(default={})
    opinion_count = Integer(default=0)
    # A clustering run is first a proposal (status "proposed"): what it would change, for
    # the analyst to confirm (migration 0011).
    proposal = JSONB(default={})
    job = ForeignKey(Job, null=True, on_delete=OnDelete.set_null)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Theme(Table, tablename="theme"):
    """A stable theme: re-runs update it rather than replace it, so trends can be followed."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    label = Varchar(length=128, null=False)
    label_edited = Boolean(default=False)
    keywords = JSONB(default=[])
    pinned_keywords = JSONB(default=[])
    size = Integer(default=0)
    sentiment = DoublePrecision(null=True, default=None)
    representatives = JSONB(default=[])
    run = ForeignKey(ThemeRun, null=True, on_delete=OnDelete.set_null)
    merged_into: ForeignKey = ForeignKey("self", null=True, on_delete=OnDelete.set_null)
    status = Varchar(length=16, default="pending")  # pending assigned rectifying done
    unit = ForeignKey(Unit, null=True, on_delete=OnDelete.set_null)
    deadline = Timestamptz(null=True, default=None)
    reply = Text(default="")
    replied_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())
    # The analyst's instructions when handing the theme to a unit (migration 0003).
    handover_note = Text(default="")


class Opinion(Table, tablename="opinion"):
    """Free-text opinion, stored only after personal information was masked."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    response = ForeignKey(Response, null=False, on_delete=OnDelete.cascade)
    # A copy of the response's campaign: joined through, not checked per row (migration 0019).
    campaign = ForeignKey(Campaign, null=False, on_delete=OnDelete.cascade, index=True)
    question = Varchar(length=64, null=False)
    unit_code = Varchar(length=32, default="")
    channel = Varchar(length=16, default="online")
    text = Text(null=False)
    sentiment = DoublePrecision(null=True, default=None)
    theme = ForeignKey(Theme, null=True, on_delete=OnDelete.set_null, index=True)
    theme_locked = Boolean(default=False)  # moved by an analyst: re-runs keep it
    created_at = Timestamptz(default=TimestamptzNow())
    # Migration 0011 (themes13): "" in the themes; "empty" a content-free answer (无, 暂无 …),
    # "excluded" set aside by an analyst. Neither ever joins a theme.
    set_aside = Varchar(length=16, default="")
    # The analyst's correction of the sentiment class ("positive", "neutral", "negative"):
    # runs keep it instead of the computed score.
    sentiment_label = Varchar(length=16, default="")


class ThemeDecision(Table, tablename="theme_decision"):
    """An analyst's decision on a theme (rename, pin, move, merge, split, hand-over …): a
    theme with any decision keeps its id and its opinions through every later run."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    theme = ForeignKey(Theme, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16, null=False)
    detail = JSONB(default={})
    actor = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class ThemeReply(Table, tablename="theme_reply"):
    """The rectification thread of a handed-over theme, in order: the unit's replies and the
    analyst's or office's acceptance (验收) or return (退回)."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    theme = ForeignKey(Theme, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16, null=False)  # reply accept return
    status = Varchar(length=16, default="")  # the theme's status after this entry
    text = Text(default="")
    actor = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    actor_name = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ThemeLexicon(Table, tablename="theme_lexicon"):
    """Versioned word lists for the next clustering run: synonyms, stop words, custom words."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    kind = Varchar(length=16, null=False)  # synonyms stop_words custom_words
    version = Integer(default=1)
    entries = JSONB(default=[])
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class ScoreRun(Table, tablename="score_run"):
    """One computation of unit indices, reproducible from its inputs' hash and scheme version."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    period = Varchar(length=16, null=False, index=True)
    campaigns = JSONB(default=[])
    mapping = Varchar(length=32, default="nbs")
    settings = JSONB(default={})
    inputs_hash = Varchar(length=64, default="")
    job = ForeignKey(Job, null=True, on_delete=OnDelete.set_null)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class UnitScore(Table, tablename="unit_score"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    run = ForeignKey(ScoreRun, null=False, on_delete=OnDelete.cascade)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.cascade)
    period = Varchar(length=16, null=False)
    n = Integer(default=0)
    index_value = DoublePrecision(null=True, default=None)
    std_error = DoublePrecision(null=True, default=None)
    margin = DoublePrecision(null=True, default=None)
    satisfied_rate = DoublePrecision(null=True, default=None)
    awareness = DoublePrecision(null=True, default=None)
    flags = Varchar(length=128, default="")
    details = JSONB(default={})
    # UNIQUE (run, unit): a unique index made by migration 0002.


class AppraisalScheme(Table, tablename="appraisal_scheme"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    year = Integer(null=False)
    name = Varchar(length=128, null=False)
    version_no = Integer(default=1)
    definition = JSONB(default={})
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    # UNIQUE (year, version_no): a unique index made by migration 0002.


class AppraisalResult(Table, tablename="appraisal_result"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    scheme = ForeignKey(AppraisalScheme, null=False, on_delete=OnDelete.cascade)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.cascade)
    year = Integer(null=False)
    total = DoublePrecision(null=True, default=None)
    rank = Integer(null=True, default=None)
    grade = Varchar(length=16, default="")
    card = Varchar(length=16, default="")
    override_grade = Varchar(length=16, default="")
    override_reason = Text(default="")
    details = JSONB(default={})
    inputs_hash = Varchar(length=64, default="")
    computed_at = Timestamptz(default=TimestamptzNow())
    quota_reason = Text(default="")  # why an override may break the forced distribution
    # UNIQUE (scheme, unit): a unique index made by migration 0002.


class IndicatorUpload(Table, tablename="indicator_upload"):
    """One upload of non-survey indicators: validated, previewed (pending), then applied."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    year = Integer(default=0, index=True)
    filename = Varchar(length=200, default="")
    status = Varchar(length=16, default="pending")  # pending applied discarded
    cells = JSONB(default={})  # {"cells": [[unit_code, period, column, value], ...]}
    summary = JSONB(default={})  # the changes it made (old → new per cell)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    applied_at = Timestamptz(null=True, default=None)


class IndicatorValue(Table, tablename="indicator_value"):
    """The stored value of one indicator cell; the upload that last set it."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    year = Integer(default=0)
    period = Varchar(length=16, default="")  # the scheme's period key: Q1 … Q4, 全年
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.cascade)
    column_name = Varchar(length=64, default="")
    value = DoublePrecision(null=True, default=None)
    upload = ForeignKey(IndicatorUpload, null=True, on_delete=OnDelete.set_null)
    updated_at = Timestamptz(default=TimestamptzNow())
    # UNIQUE (year, period, unit, column_name): migration 0011.


class AppraisalRun(Table, tablename="appraisal_run"):
    """A 计算: draft until 发布 freezes its results (a snapshot) for units and the API."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    scheme = ForeignKey(AppraisalScheme, null=False, on_delete=OnDelete.cascade)
    year = Integer(default=0, index=True)
    status = Varchar(length=16, default="draft")  # draft published superseded discarded
    dataset_upload = Integer(null=True, default=None)  # the last applied indicator upload
    inputs_hash = Varchar(length=64, default="")
    settings = JSONB(default={})  # periods, decisions, confirmations, notes
    results = JSONB(default={})  # {"units": [...]} frozen at 发布
    diff = JSONB(default={})  # against the last published run
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    published_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    published_at = Timestamptz(null=True, default=None)
    publish_reason = Text(default="")


class AppraisalOverrideLog(Table, tablename="appraisal_override_log"):
    id: Serial  # Piccolo adds the primary key; declared for type checkers

    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.cascade)
    year = Integer(default=0)
    scheme = ForeignKey(AppraisalScheme, null=True, on_delete=OnDelete.set_null)
    computed_grade = Varchar(length=16, default="")
    from_grade = Varchar(length=16, default="")
    to_grade = Varchar(length=16, default="")
    reason = Text(default="")
    quota_reason = Text(default="")
    actor_name = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class AppraisalCard(Table, tablename="appraisal_card"):
    """The red/yellow card register: issued at 发布, rectified by the unit, lifted by the office."""

    id: Serial  # Piccolo adds the primary key; declared for type checkers

    year = Integer(default=0)
    unit = ForeignKey(Unit, null=False, on_delete=OnDelete.cascade)
    period = Varchar(length=16, default="")
    color = Varchar(length=8, default="")  # 红牌 黄牌
    reason = Text(default="")
    run = ForeignKey(AppraisalRun, null=True, on_delete=OnDelete.set_null)
    issued_at = Timestamptz(default=TimestamptzNow())
    deadline = Timestamptz(null=True, default=None)
    status = Varchar(length=16, default="open")  # open submitted returned lifted
    plan = Text(default="")
    plan_at = Timestamptz(null=True, default=None)
    office_note = Text(default="")
    lifted_at = Timestamptz(null=True, default=None)
    lifted_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)


ALL_TABLES: list[type[Table]] = [
    Unit,
    UnitCategory,
    User,
    MfaRecoveryCode,
    UserSession,
    ApiToken,
    AuditLog,
    Job,
    Respondent,
    RespondentContact,
    Questionnaire,
    QuestionnaireVersion,
    Campaign,
    Invitation,
    Draft,
    OpenDraft,
    Response,
    Answer,
    UnitRating,
    RateWindow,
    Opinion,
    ThemeRun,
    Theme,
    ThemeDecision,
    ThemeReply,
    ThemeLexicon,
    ScoreRun,
    UnitScore,
    AppraisalScheme,
    AppraisalResult,
    IndicatorUpload,
    IndicatorValue,
    AppraisalRun,
    AppraisalOverrideLog,
    AppraisalCard,
]
