"""Piccolo's configuration module (PICCOLO_CONF=survey_app.piccolo_conf).

Builds the one engine from SURVEY_* settings. Creating an engine object does not connect.
"""

from piccolo.conf.apps import AppRegistry

from survey_app.config import load_settings
from survey_app.db.engine import build_engine

DB = build_engine(load_settings())

APP_REGISTRY = AppRegistry(apps=["survey_app.db.piccolo_app"])
