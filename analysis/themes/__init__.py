"""Theme discovery over free-text opinions (Dirichlet multinomial mixture), labelling,
assignment of new opinions, and the analyst's edits (split, merge, pin, rename)."""

from analysis.themes.discover import (
    UNASSIGNED,
    UNASSIGNED_LABEL,
    Theme,
    ThemeInputError,
    ThemeRun,
    assign_to_themes,
    discover_themes,
)
from analysis.themes.edit import (
    merge_themes,
    pin_keyword,
    rename_theme,
    split_theme,
    unpin_keyword,
)
from analysis.themes.model import ThemeModel, ThemeModelError
from analysis.themes.wording import TextDictionary, is_readable_keyword

__all__ = [
    "UNASSIGNED",
    "UNASSIGNED_LABEL",
    "TextDictionary",
    "Theme",
    "ThemeInputError",
    "ThemeModel",
    "ThemeModelError",
    "ThemeRun",
    "assign_to_themes",
    "discover_themes",
    "is_readable_keyword",
    "merge_themes",
    "pin_keyword",
    "rename_theme",
    "split_theme",
    "unpin_keyword",
]
