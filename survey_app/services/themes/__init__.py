"""Theme analysis use cases, one module each: clustering runs reviewed before they apply
(runs), the analyst's durable curation (curation), hand-over to units and the rectification
thread (handover), reading (reading), search and charts (search), export (export) and the
analysts' word lists (lexicon). This package re-exports what the web pages and jobs use."""

from survey_app.db.queries.themes import OpinionFilter
from survey_app.services.themes.common import (
    CHANNEL_LABELS,
    SENTIMENT_LABELS,
    STATUS_LABELS,
    ThemeError,
)
from survey_app.services.themes.curation import (
    INLINE_EDIT_LIMIT,
    MAX_SPLIT_K,
    EditOutcome,
    IssueProposal,
    ThemeEdit,
    apply_edit,
    correct_sentiment,
    create_theme_from_issue,
    exclude_opinions,
    move_opinions,
    new_issue_proposals,
    parse_split_count,
    rename,
    request_edit,
    unpin,
)
from survey_app.services.themes.export import export_report
from survey_app.services.themes.handover import (
    DEFAULT_HANDOVER_WORKING_DAYS,
    THREAD_LABELS,
    HandedDetail,
    HandedOver,
    active_units,
    add_working_days,
    default_deadline,
    hand_over,
    handed_over,
    handed_over_detail,
    parse_deadline,
    reply,
    review_rectification,
    today_in_china,
)
from survey_app.services.themes.lexicon import KINDS as LEXICON_KINDS
from survey_app.services.themes.lexicon import WordList, current_lexicon, save_list, word_lists
from survey_app.services.themes.reading import (
    FilterChoices,
    MarkedOpinion,
    Overview,
    Pager,
    Segment,
    ThemeDetail,
    ThemeLine,
    filter_choices,
    highlight,
    overview,
    theme_detail,
)
from survey_app.services.themes.runs import (
    DiscoveryRequest,
    Review,
    assign_new_opinions,
    confirm_run,
    discard_run,
    parse_discovery_form,
    pending_review,
    review,
    run_discovery,
    submit_assign_new,
    submit_discovery,
)

__all__ = [
    "CHANNEL_LABELS", "DEFAULT_HANDOVER_WORKING_DAYS", "INLINE_EDIT_LIMIT", "LEXICON_KINDS",
    "MAX_SPLIT_K", "SENTIMENT_LABELS", "STATUS_LABELS", "THREAD_LABELS", "DiscoveryRequest",
    "EditOutcome", "FilterChoices", "HandedDetail", "HandedOver", "IssueProposal",
    "MarkedOpinion", "OpinionFilter", "Overview", "Pager", "Review", "Segment", "ThemeDetail",
    "ThemeEdit", "ThemeError", "ThemeLine", "WordList", "active_units", "add_working_days",
    "apply_edit", "assign_new_opinions", "confirm_run", "correct_sentiment",
    "create_theme_from_issue", "current_lexicon", "default_deadline", "discard_run",
    "exclude_opinions", "export_report", "filter_choices", "hand_over", "handed_over",
    "handed_over_detail", "highlight", "move_opinions", "new_issue_proposals", "overview",
    "parse_deadline", "parse_discovery_form", "parse_split_count", "pending_review", "rename",
    "reply", "request_edit", "review", "review_rectification", "run_discovery", "save_list",
    "submit_assign_new", "submit_discovery", "theme_detail", "today_in_china", "unpin",
    "word_lists",
]
