"""The respondent pages' point reads: concurrent reads (grouped into one statement on
PostgreSQL) each get their own link's row, fresh."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from survey_app.db.queries.submissions import (
    find_link_state,
    find_open_link_context,
    save_draft,
)
from survey_app.db.tables import Invitation
from survey_app.db.turn_groups import GroupedReads
from tests.support.campaigns import open_campaign


async def test_concurrent_reads_each_get_their_own_link(db) -> None:  # type: ignore[no-untyped-def]
    campaign = await open_campaign(invitations=3)
    first, second, third = campaign.tokens[:3]
    found = await find_link_state(first)
    assert found is not None and found[1] == {}
    await save_draft(found[0].invitation_id, '{"industry": "制造业"}', "basic")  # type: ignore[arg-type]
    await Invitation.update({Invitation.status: "withdrawn"}).where(Invitation.token == third)
    states = await asyncio.gather(find_link_state(first), find_link_state(second),
                                  find_link_state(first), find_link_state("n" * 24),
                                  find_link_state(third), find_open_link_context(campaign.open_token))
    mine, theirs, again, unknown, withdrawn, open_link = states
    assert mine is not None and theirs is not None and withdrawn is not None
    assert mine[0].token == again[0].token == first and theirs[0].token == second  # type: ignore[index]
    assert mine[1:] == again[1:] == ({"industry": "制造业"}, "basic")  # type: ignore[index]
    assert theirs[1:] == ({}, "") and mine[0].invitation_id != theirs[0].invitation_id
    assert unknown is None and withdrawn[0].invitation_status == "withdrawn"
    assert open_link is not None and open_link.campaign_id == campaign.campaign_id


class _Pool:
    def __init__(self, failure: Exception | None = None) -> None:
        self.statements: list[list[str]] = []
        self.failure = failure

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[_Pool]:  # one connection: the pool itself
        yield self

    async def fetch(self, sql: str, keys: list[str]) -> list[dict[str, Any]]:
        self.statements.append(keys)
        await asyncio.sleep(0)
        if self.failure:
            raise self.failure
        return [{"key": key, "value": key.upper()} for key in keys if key != "missing"]


async def test_reads_of_one_turn_share_one_statement() -> None:
    reads, pool = GroupedReads("SELECT … WHERE key = ANY($1)", "key"), _Pool()
    rows = await asyncio.gather(*(reads.read(pool, key) for key in ("a", "b", "a", "missing")))
    assert [row and row["value"] for row in rows] == ["A", "B", "A", None]
    assert pool.statements == [["a", "b", "missing"]]
    assert (await reads.read(pool, "c"))["value"] == "C"  # a later turn: its own statement
    assert pool.statements == [["a", "b", "missing"], ["c"]]


async def test_a_failed_statement_fails_every_read_of_it() -> None:
    reads, pool = GroupedReads("SELECT …", "key"), _Pool(RuntimeError("connection lost"))
    results = await asyncio.gather(reads.read(pool, "a"), reads.read(pool, "b"),
                                   return_exceptions=True)
    assert [str(result) for result in results] == ["connection lost"] * 2
    with pytest.raises(RuntimeError):
        await reads.read(pool, "a")  # the next turn tries again (and fails again here)
    assert len(pool.statements) == 2


async def test_grouped_writes_of_one_turn_share_a_call_up_to_the_cap() -> None:
    """GroupedWrites: the writes that start in one event-loop turn reach `write_many` together,
    at most MAX_GROUP at a time; each caller gets its own result or error."""
    from survey_app.db.turn_groups import MAX_GROUP, GroupedWrites

    calls: list[list[int]] = []

    async def write_many(connection: object, items: list[int]) -> list[object]:
        calls.append(items)
        return [ValueError(item) if item == 3 else item * 10 for item in items]

    writes = GroupedWrites(write_many)
    outcomes = await asyncio.gather(*(writes.write(_Pool(), i) for i in range(MAX_GROUP + 5)),
                                    return_exceptions=True)
    assert [len(items) for items in calls] == [MAX_GROUP, 5]
    assert isinstance(outcomes[3], ValueError)
    assert outcomes[:3] == [0, 10, 20] and outcomes[-1] == (MAX_GROUP + 4) * 10
