"""Speed of the unit satisfaction indices in SQL, on SQLite and on PostgreSQL.

Builds one closed enterprise campaign with 1M complete responses in four strata (plus 0.2 %
excluded ones), each rating 2 of 100 units on 5 dimensions: 10M answer rows and the 2M
unit_rating rows a submission writes with them, loaded in bulk (sqlite3 executemany / asyncpg
COPY, indexes built afterwards). Then times the real score job path (services.scores.
compute_scores: reading the rating patterns, both passes, the estimators, storing the run), and
its steps on their own. PostgreSQL uses a fresh database next to SURVEY_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test), dropped at the end.

    .venv/bin/python bench/scores_speed.py                          # 1M responses, both engines
    .venv/bin/python bench/scores_speed.py --responses 100000 --engines sqlite
    .venv/bin/python bench/scores_speed.py --engines sqlite --sqlite-file /tmp/bench.sqlite3  # keep
    .venv/bin/python bench/scores_speed.py --engines postgres --postgres-db scores_bench  # keep
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.scoring.patterns import PlanTerm, UnitPlan, answer_cells, residual_sums
from questionnaires.canonical import to_canonical_dict
from questionnaires.definition import parse_definition
from survey_app.config import load_settings
from survey_app.db.connection import install_engine, migrate_forwards
from survey_app.db.engine import build_engine, start_engine, stop_engine
from survey_app.db.migrations import survey_0002_indexes, survey_0009_unit_rating_data
from survey_app.db.queries import scores as queries
from survey_app.db.tables import Campaign, Questionnaire, QuestionnaireVersion, Unit
from survey_app.services import score_runs, scores
from tests.support.databases import database_url, run_admin_sql

UNITS = 100
DIMENSIONS = ("服务态度", "办事效率", "政策落实", "廉洁自律", "总体评价")
UNITS_PER_RESPONSE = 2
# stratum: (share of respondents, sampling fraction n_h/N_h, response rate r_h/n_h)
STRATA = {
    "大型": (0.05, 0.5, 0.9),
    "中型": (0.15, 0.3, 0.8),
    "小型": (0.3, 0.25, 0.75),
    "微型": (0.5, 0.2, 0.7),
}
# Built after the bulk load (as a restore would), from the migrations' own definitions.
BULK_INDEXES = {
    "answer_scoring_idx": survey_0002_indexes.INDEXES["answer_scoring_idx"],
    **survey_0009_unit_rating_data.INDEXES,
}
CHUNK = 100_000


def definition() -> dict[str, Any]:
    rows = [{"id": f"U{u:03d}", "label": f"单位{u:03d}", "unit": f"U{u:03d}"} for u in range(UNITS)]
    questions = [
        {
            "name": f"q{d + 1}",
            "type": "matrix_rating",
            "label": f"您对各单位{name}的评价",
            "dimension": name,
            "allow_unknown": True,
            "rows": rows,
        }
        for d, name in enumerate(DIMENSIONS)
    ]
    text = json.dumps(
        {
            "id": "bench",
            "title": "基准问卷",
            "sections": [{"id": "s1", "title": "评价", "questions": questions}],
        }
    )
    return to_canonical_dict(parse_definition(text, "json"))


def plan_strata(responses: int) -> list[tuple[str, int, int, float]]:
    """(stratum, respondents r_h, invited n_h, design weight N_h/n_h) summing to `responses`."""
    result, left = [], responses
    for i, (name, (share, fraction, rate)) in enumerate(STRATA.items()):
        r = left if i == len(STRATA) - 1 else int(responses * share)
        left -= r
        n = int(np.ceil(r / rate))
        population = int(np.ceil(n / fraction))
        result.append((name, r, n, population / n))
    return result


def response_chunks(
    strata: list[tuple[str, int, int, float]], seed: int = 7
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """(response ids, stratum index, rated units (k × 2), levels (k × 2 × 5; 0 = 不了解))."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(-0.8, 0.8, UNITS)
    stratum_of = np.concatenate([np.full(r, i) for i, (_, r, _, _) in enumerate(strata)])
    total = len(stratum_of)
    for start in range(0, total, CHUNK):
        k = min(CHUNK, total - start)
        ids = np.arange(start + 1, start + k + 1)
        first = rng.integers(0, UNITS, k)
        second = (first + rng.integers(1, UNITS, k)) % UNITS
        units = np.stack([first, second], axis=1)
        latent = quality[units][:, :, None] + rng.normal(0, 1, (k, UNITS_PER_RESPONSE, 5))
        levels = np.clip(np.rint(3.6 + latent), 1, 5).astype(np.int64)
        levels[rng.random(levels.shape) < 0.05] = 0
        yield ids, stratum_of[start : start + k], units, levels


def answer_rows(strata: list[tuple[str, int, int, float]], campaign: int) -> Iterator[tuple]:
    names = [s for s, _, _, _ in strata]
    weights = [w for _, _, _, w in strata]
    for ids, stratum, units, levels in response_chunks(strata):
        for i in range(len(ids)):
            s = int(stratum[i])
            for j in range(UNITS_PER_RESPONSE):
                code = f"U{int(units[i, j]):03d}"
                for d in range(5):
                    level = int(levels[i, j, d])
                    yield (
                        int(ids[i]),
                        campaign,
                        f"q{d + 1}",
                        code,
                        code,
                        DIMENSIONS[d],
                        level or None,
                        names[s],
                        weights[s],
                    )


def rating_rows(strata: list[tuple[str, int, int, float]], campaign: int) -> Iterator[tuple]:
    """The unit_rating rows of the same responses: one string of 5 levels per rated unit."""
    names = [s for s, _, _, _ in strata]
    weights = [w for _, _, _, w in strata]
    for ids, stratum, units, levels in response_chunks(strata):
        for i in range(len(ids)):
            s = int(stratum[i])
            for j in range(UNITS_PER_RESPONSE):
                text = "".join(str(int(level)) for level in levels[i, j])  # 0 = 不了解
                yield (int(ids[i]), campaign, f"U{int(units[i, j]):03d}", names[s], weights[s], text)


def invitation_rows(strata: list[tuple[str, int, int, float]], campaign: int) -> Iterator[tuple]:
    number = 0
    for name, _, n, weight in strata:
        for _ in range(n):
            number += 1
            yield (number, campaign, f"bench-{number:09d}", name, weight, "pending")


def response_rows(strata: list[tuple[str, int, int, float]], campaign: int, version: int) -> Iterator[tuple]:
    """Respondent i of a stratum answered that stratum's i-th invitation; every 500th excluded."""
    response, invitation = 0, 0
    for name, r, n, weight in strata:
        for i in range(r):
            response += 1
            status = "excluded" if response % 500 == 0 else "complete"
            yield (
                response,
                campaign,
                version,
                invitation + i + 1,
                f"sub-{response:09d}",
                "",
                status,
                name,
                weight,
                300,
            )
        invitation += n


async def create_campaign() -> tuple[int, int]:
    await Unit.insert(
        *(
            Unit(code=f"U{u:03d}", name=f"单位{u:03d}", category="职能部门" if u % 2 else "街道园区")
            for u in range(UNITS)
        )
    )
    q = await Questionnaire.insert(
        Questionnaire(code="bench", title="基准问卷", audience="enterprise")
    ).returning(Questionnaire.id)
    v = await QuestionnaireVersion.insert(
        QuestionnaireVersion(
            questionnaire=q[0]["id"],
            version_no=1,
            status="published",
            definition=definition(),
            definition_hash="bench",
        )
    ).returning(QuestionnaireVersion.id)
    c = await Campaign.insert(
        Campaign(
            code="bench-2026q3",
            name="基准批次",
            version=v[0]["id"],
            audience="enterprise",
            period="2026-Q3",
            status="closed",
        )
    ).returning(Campaign.id)
    return int(c[0]["id"]), int(v[0]["id"])


INVITATION_COLUMNS = ("id", "campaign", "token", "stratum", "design_weight", "status")
RESPONSE_COLUMNS = (
    "id",
    "campaign",
    "version",
    "invitation",
    "submission_id",
    "payload_hash",
    "status",
    "stratum",
    "design_weight",
    "duration_seconds",
)
RATING_COLUMNS = ("response", "campaign", "unit_code", "stratum", "weight", "levels")
ANSWER_COLUMNS = (
    "response",
    "campaign",
    "question",
    "row",
    "unit_code",
    "dimension",
    "level",
    "stratum",
    "weight",
)


def load_sqlite(path: str, strata: list, campaign: int, version: int) -> float:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        for name in BULK_INDEXES:
            connection.execute(f"DROP INDEX IF EXISTS {name}")
        for table, columns, rows in (
            ("invitation", INVITATION_COLUMNS, invitation_rows(strata, campaign)),
            ("response", RESPONSE_COLUMNS, response_rows(strata, campaign, version)),
            ("answer", ANSWER_COLUMNS, answer_rows(strata, campaign)),
            ("unit_rating", RATING_COLUMNS, rating_rows(strata, campaign)),
        ):
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" * len(columns))
            with connection:
                connection.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        started = time.perf_counter()
        for name, template in BULK_INDEXES.items():
            connection.execute("CREATE " + template.replace("{name}", name))
        connection.execute("ANALYZE")
        connection.commit()
        return time.perf_counter() - started
    finally:
        connection.close()


async def load_postgres(url: str, strata: list, campaign: int, version: int) -> float:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        # Bulk-load like a restore: no per-row foreign-key triggers (the generator is consistent).
        await connection.execute("SET session_replication_role = replica")
        for name in BULK_INDEXES:
            await connection.execute(f"DROP INDEX IF EXISTS {name}")
        await connection.copy_records_to_table(
            "invitation", records=invitation_rows(strata, campaign), columns=INVITATION_COLUMNS
        )
        await connection.copy_records_to_table(
            "response", records=response_rows(strata, campaign, version), columns=RESPONSE_COLUMNS
        )
        await connection.copy_records_to_table(
            "answer", records=answer_rows(strata, campaign), columns=ANSWER_COLUMNS
        )
        await connection.copy_records_to_table(
            "unit_rating", records=rating_rows(strata, campaign), columns=RATING_COLUMNS
        )
        for table in ("invitation", "response"):
            await connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )
        started = time.perf_counter()
        for name, template in BULK_INDEXES.items():
            await connection.execute("CREATE " + template.replace("{name}", name))
        await connection.execute("VACUUM ANALYZE")
        return time.perf_counter() - started
    finally:
        await connection.close()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def time_scoring(campaign: int) -> list[tuple[str, float, float]]:
    """(step, wall seconds, CPU seconds of this process) for the job and each step alone.

    SQLite runs inside this process, so its CPU time is the work done whatever else the
    machine is busy with; PostgreSQL works in its server, and only the wall time means much.
    """
    figures = []
    options = scores.ScoreOptions(period="2026-Q3", audience="enterprise")
    for run in ("first", "again"):  # the first run also warms the pool and the page cache
        wall, cpu = time.perf_counter(), _cpu()
        await score_runs.compute_scores(options, actor_id=None, actor_name="bench")
        job = f"score job, {run} (strata, patterns, both passes, store)"
        figures.append((job, time.perf_counter() - wall, _cpu() - cpu))
    campaigns = await queries.campaigns_in_period("2026-Q3", "enterprise")
    items = score_runs.rated_items_by_campaign(campaigns)
    codes = [f"U{u:03d}" for u in range(UNITS)]
    wall, cpu = time.perf_counter(), _cpu()
    patterns = await queries.rating_patterns([campaign], items, codes)
    figures.append(("read rating patterns (SQL)", time.perf_counter() - wall, _cpu() - cpu))
    wall, cpu = time.perf_counter(), _cpu()
    answer_cells(patterns)
    values = (1e-4, 5e-5, 0.0, -5e-5, -1e-4)
    plans = [
        UnitPlan(campaign, p.unit_code, tuple(PlanTerm(q, r, values) for q, r in p.items)) for p in patterns
    ]
    residual_sums(patterns, plans)
    figures.append(("both passes from the patterns (numpy)", time.perf_counter() - wall, _cpu() - cpu))
    rows = sum(len(p.counts) for p in patterns)
    print(f"  rating patterns read: {rows:,} distinct (unit, stratum, weight, pattern) rows")
    return figures


async def run_engine(kind: str, url: str, responses: int, data_dir: str, reuse: bool) -> None:
    settings = load_settings(
        {
            "SURVEY_DATABASE_URL": url,
            "SURVEY_DATA_DIR": data_dir,
            "SURVEY_SECRET_KEY": secrets.token_urlsafe(48),
            "SURVEY_LOG_LEVEL": "WARNING",
        }
    )
    engine = build_engine(settings)
    install_engine(engine)
    await start_engine(engine)
    try:
        await migrate_forwards()
        if reuse:
            campaign = (await Campaign.select(Campaign.id).where(Campaign.code == "bench-2026q3").first())[
                "id"
            ]
            print(f"\n{kind}: reusing {settings.sqlite_path if kind == 'sqlite' else url}")
        else:
            campaign, version = await create_campaign()
            strata = plan_strata(responses)
            started = time.perf_counter()
            if kind == "sqlite":
                index_seconds = await asyncio.to_thread(
                    load_sqlite, str(settings.sqlite_path), strata, campaign, version
                )
            else:
                index_seconds = await load_postgres(url, strata, campaign, version)
            load_seconds = time.perf_counter() - started - index_seconds
            answers = responses * UNITS_PER_RESPONSE * 5
            print(f"\n{kind}: {responses:,} responses, {answers:,} answer rows, {UNITS} units")
            print(f"  bulk load {load_seconds:8.1f} s   indexes + ANALYZE {index_seconds:6.1f} s")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"  load average before timing: {load} on {os.cpu_count()} CPUs")
        figures = await time_scoring(campaign)
        print(f"  {'step':<55} {'wall':>8} {'cpu here':>9}")
        for label, wall, cpu in figures:
            print(f"  {label:<55} {wall:7.2f}s {cpu:8.2f}s")
    finally:
        await stop_engine(engine)


async def database_exists(url: str, name: str) -> bool:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return bool(await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument(
        "--sqlite-file", type=Path, help="keep the SQLite database here and reuse it when it exists"
    )
    parser.add_argument(
        "--postgres-db", help="keep the PostgreSQL database under this name and reuse it when it exists"
    )
    args = parser.parse_args()
    for kind in args.engines.split(","):
        with tempfile.TemporaryDirectory(prefix="scores-bench-") as tmp:
            if kind == "sqlite":
                path = args.sqlite_file or Path(tmp) / "bench.sqlite3"
                reuse = path.exists()
                asyncio.run(run_engine("sqlite", f"sqlite:///{path}", args.responses, tmp, reuse))
            elif kind == "postgres":
                admin_url = os.environ.get(
                    "SURVEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
                )
                name = args.postgres_db or f"scores_bench_{secrets.token_hex(4)}"
                url = database_url(admin_url, name)
                reuse = bool(args.postgres_db) and asyncio.run(database_exists(admin_url, name))
                if not reuse:
                    asyncio.run(run_admin_sql(admin_url, f'CREATE DATABASE "{name}"'))
                try:
                    asyncio.run(run_engine("postgres", url, args.responses, tmp, reuse))
                finally:
                    if not args.postgres_db:
                        asyncio.run(run_admin_sql(
                            admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                parser.error(f"unknown engine {kind!r}")


if __name__ == "__main__":
    main()
