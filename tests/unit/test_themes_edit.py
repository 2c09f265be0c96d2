import pytest
from test_themes_discover import CORPUS, ELEVATOR, PARKING, SCHOOL

from analysis.themes import (
    ThemeInputError,
    ThemeRun,
    assign_to_themes,
    discover_themes,
    merge_themes,
    pin_keyword,
    rename_theme,
    split_theme,
    unpin_keyword,
)


@pytest.fixture(scope="module")
def run() -> ThemeRun:
    return discover_themes(CORPUS, k=3, seed=0)


def _theme_of(run: ThemeRun, index: int) -> int:
    return run.assignments[index]


def test_merge_puts_both_themes_under_the_first_id(run: ThemeRun) -> None:
    parking, elevator = _theme_of(run, 0), _theme_of(run, len(PARKING))
    merged = merge_themes(run.model, CORPUS, run.assignments, [parking, elevator], label="住宅")
    assert len(merged.themes) == 2
    assert elevator not in {t.id for t in merged.themes}
    moved = [i for i, a in enumerate(run.assignments) if a in (parking, elevator)]
    assert all(merged.assignments[i] == parking for i in moved)
    assert merged.theme(parking).label == "住宅"


def test_merge_needs_two_existing_themes(run: ThemeRun) -> None:
    with pytest.raises(ThemeInputError, match="两个"):
        merge_themes(run.model, CORPUS, run.assignments, [0, 0])
    with pytest.raises(ThemeInputError, match="不存在"):
        merge_themes(run.model, CORPUS, run.assignments, [0, 99])


def test_split_re_clusters_one_theme_under_new_ids(run: ThemeRun) -> None:
    parking, elevator = _theme_of(run, 0), _theme_of(run, len(PARKING))
    merged = merge_themes(run.model, CORPUS, run.assignments, [parking, elevator])
    split = split_theme(merged.model, CORPUS, merged.assignments, parking, k=2, seed=0)
    assert parking not in {t.id for t in split.themes}
    new_ids = {t.id for t in split.themes} - {t.id for t in merged.themes}
    assert len(new_ids) == 2 and min(new_ids) >= merged.model.next_theme_id
    parking_side = {split.assignments[i] for i in range(len(PARKING))} - {-1}
    elevator_side = {
        split.assignments[i] for i in range(len(PARKING), len(PARKING) + len(ELEVATOR))
    } - {-1}
    assert len(parking_side & elevator_side) <= 1
    school = _theme_of(run, len(PARKING) + len(ELEVATOR))
    assert split.theme(school).size == merged.theme(school).size


def test_pinned_keyword_forces_opinions_now_and_later(run: ThemeRun) -> None:
    school = _theme_of(run, len(PARKING) + len(ELEVATOR))
    pinned = pin_keyword(run.model, CORPUS, run.assignments, "停车费", school)
    fee_rows = [i for i, text in enumerate(CORPUS) if "停车费" in text]
    assert fee_rows and all(pinned.assignments[i] == school for i in fee_rows)
    assert assign_to_themes(pinned.model, ["停车费又涨了"]) == [school]
    rerun = discover_themes(CORPUS, k=3, seed=1, previous=pinned.model)
    assert all(rerun.assignments[i] == school for i in fee_rows)
    released = unpin_keyword(pinned.model, "停车费")
    assert "停车费" not in released.pins


def test_rename_keeps_the_label_in_the_model(run: ThemeRun) -> None:
    school = _theme_of(run, len(PARKING) + len(ELEVATOR))
    renamed = rename_theme(run.model, school, "  教育入学  ")
    assert renamed.label_of(school) == "教育入学"
    with pytest.raises(ThemeInputError, match="不能为空"):
        rename_theme(run.model, school, " ")


def test_assignments_must_match_the_opinions(run: ThemeRun) -> None:
    with pytest.raises(ThemeInputError, match="不一致"):
        pin_keyword(run.model, SCHOOL, run.assignments, "学校", 0)
