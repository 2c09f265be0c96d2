from survey_app.db.tables import (
    AppraisalResult,
    Campaign,
    Opinion,
    Respondent,
    Response,
    Theme,
    Unit,
    UnitScore,
    User,
)
from survey_app.demo.loader import DEMO_ACCOUNTS, load_demo
from survey_app.services.auth import log_in


async def _counts() -> dict[str, int]:
    return {t.__name__: await t.count() for t in (Unit, User, Respondent, Campaign, Response, Opinion)}


async def test_demo_loads_a_living_district_once(db, settings) -> None:
    assert await load_demo(settings, seed=11, enterprises=120, residents=150, progress=lambda _: None)
    first = await _counts()
    assert first["Unit"] == 25 and first["User"] == len(DEMO_ACCOUNTS)
    assert first["Respondent"] == 270
    assert first["Campaign"] == 3
    assert first["Response"] > 20 and first["Opinion"] > 0
    assert await Campaign.count().where(Campaign.status == "closed") == 2
    assert await Campaign.count().where(Campaign.status == "open") == 1
    assert await UnitScore.count() > 0, "the demo shows satisfaction scores"
    graded = await AppraisalResult.select(AppraisalResult.grade)
    assert graded and all(r["grade"] for r in graded), "the demo shows appraisal grades"
    assert await Theme.count() > 0
    assert await Theme.count().where(Theme.unit.code == "U07") == 1
    assert not await load_demo(settings, seed=11, enterprises=120, residents=150,
                               progress=lambda _: None)
    assert await _counts() == first
    username, password, _ = DEMO_ACCOUNTS[0]
    outcome = await log_in(username, password, "127.0.0.1", max_failures=5, lockout_minutes=30)
    assert outcome.session_token is not None
