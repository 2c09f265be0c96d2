"""The served app's factory: what exists after start-up stays out of full garbage collections."""

import gc

import pytest

from survey_app import app as app_module


def test_factory_freezes_what_start_up_built(monkeypatch: pytest.MonkeyPatch) -> None:
    built = object()
    monkeypatch.setattr(app_module, "load_settings", lambda: "settings")
    monkeypatch.setattr(app_module, "create_app", lambda settings: built)
    gc.unfreeze()
    threshold = gc.get_threshold()
    try:
        assert gc.get_freeze_count() == 0
        assert app_module.create_app_from_env() is built
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == app_module.GC_YOUNG_THRESHOLD
    finally:
        gc.unfreeze()  # the test process itself stays collectable, as Python sets it
        gc.set_threshold(*threshold)
