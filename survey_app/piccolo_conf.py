"""Piccolo's configuration module (PICCOLO_CONF=survey_app.piccolo_conf).

The engine is built on first use, not at import: importing the application must not read settings
or write the secret key file. The app factory and the CLI install their engine here
(db.connection.install_engine); only Piccolo's own tools reach the lazy default.
"""

from __future__ import annotations

from typing import Any

from piccolo.conf.apps import AppRegistry

APP_REGISTRY = AppRegistry(apps=["survey_app.db.piccolo_app"])


def __getattr__(name: str) -> Any:
    if name == "DB":
        from survey_app.config import load_settings
        from survey_app.db.engine import build_engine

        engine = build_engine(load_settings())
        globals()["DB"] = engine
        return engine
    raise AttributeError(name)
