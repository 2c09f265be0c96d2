"""The survey platform's web application: the only package that imports litestar or piccolo."""

import os

# Piccolo looks its engine up through this module; ours builds it from SURVEY_* settings.
os.environ.setdefault("PICCOLO_CONF", "survey_app.piccolo_conf")
