"""Response data-quality flags: speeders and straight-lining, flags only."""

from analysis.scoring.quality import (
    MatrixAnswers,
    QualityIssue,
    QualityThresholds,
    ResponseDuration,
    flag_speeders,
    flag_straight_lines,
)


def test_speeders_below_a_third_of_the_median() -> None:
    durations = [
        ResponseDuration(str(i), s) for i, s in enumerate([90, 100, 300, 300, 400, 500, 600])
    ]
    flags = flag_speeders(durations)  # median 300 → limit 100
    assert [f.response_id for f in flags] == ["0"]
    assert flags[0].issue is QualityIssue.SPEEDER and "100.0" in flags[0].detail


def test_absolute_floor_applies_too() -> None:
    durations = [ResponseDuration(str(i), s) for i, s in enumerate([110, 300, 300])]
    assert (
        flag_speeders(durations, QualityThresholds(speeder_min_seconds=120))[0].response_id == "0"
    )
    assert flag_speeders([]) == ()


def test_straight_lines_need_three_identical_valid_rows() -> None:
    matrices = [
        MatrixAnswers("a", "服务评价", ("满意", "满意", "满意")),
        MatrixAnswers("b", "服务评价", ("满意", "满意", None, "不了解")),
        MatrixAnswers("c", "服务评价", ("满意", "基本满意", "满意")),
        MatrixAnswers("d", "服务评价", ("不了解", "不了解", "不了解")),
    ]
    flags = flag_straight_lines(matrices)
    assert [f.response_id for f in flags] == ["a"]
    assert "3 行全部回答「满意」" in flags[0].detail
    assert [
        f.response_id
        for f in flag_straight_lines(matrices, QualityThresholds(straight_line_min_rows=2))
    ] == ["a", "b"]


def test_thresholds_are_described() -> None:
    assert "33%" in QualityThresholds().describe() and "人工复核" in QualityThresholds().describe()
