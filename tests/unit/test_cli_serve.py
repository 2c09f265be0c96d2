"""`survey-app serve`: how uvicorn is started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from survey_app.cli import main


def test_serve_runs_the_factory_on_asyncios_loop(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(app=app, **options))
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"sqlite:///{tmp_path}/survey.db")
    monkeypatch.setenv("SURVEY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SURVEY_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("SURVEY_PORT", "8000")  # serve sets it: restored after the test
    result = CliRunner().invoke(main, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    # uvloop, saturated, served some connections hundreds of ms late (bench/NOTE_respondent_pages.md)
    assert started["loop"] == "asyncio"
    assert started["app"] == "survey_app.app:create_app_from_env" and started["factory"] is True
    assert started["port"] == 8123 and started["access_log"] is False
