"""Package list for setuptools; everything else is declared in pyproject.toml.

The repository keeps the Jinja templates in a top-level `templates/` folder (the agreed layout),
while an installed wheel must carry them: they are mapped to the package `survey_app.templates`,
so the application loads them through the package wherever it is installed.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages(
            include=["survey_app*", "questionnaires*", "analysis*"], exclude=["*.__pycache__"]
        ),
        "survey_app.templates",
    ],
    package_dir={"survey_app.templates": "templates"},
)
