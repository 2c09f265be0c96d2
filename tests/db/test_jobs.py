import asyncio

from survey_app.db.queries import jobs
from survey_app.jobs.runner import JobContext, JobFailed, job_handler, run_next_job, submit_job

calls: list[int] = []


@job_handler("test.echo")
async def _echo(context: JobContext) -> dict:
    await context.progress(50, "一半")
    calls.append(context.job_id)
    return {"echo": context.params["value"]}


@job_handler("test.refuse")
async def _refuse(context: JobContext) -> dict:
    raise JobFailed("输入有误")


@job_handler("test.crash")
async def _crash(context: JobContext) -> dict:
    raise RuntimeError("secret internals")


async def test_two_workers_never_claim_the_same_job(db) -> None:
    ids = [await jobs.enqueue_job("test.echo", {"value": i}, None) for i in range(40)]

    async def claim_all(name: str) -> list[int]:
        claimed = []
        while (job := await jobs.claim_next_job(name)) is not None:
            claimed.append(job.id)
            await asyncio.sleep(0)
        return claimed

    first, second = await asyncio.gather(claim_all("w1"), claim_all("w2"))
    assert sorted(first + second) == ids
    assert not set(first) & set(second)


async def test_job_result_progress_and_failures_are_recorded(db) -> None:
    ok = await submit_job("test.echo", {"value": "你好"}, None)
    refused = await submit_job("test.refuse", {}, None)
    crashed = await submit_job("test.crash", {}, None)
    while await run_next_job("w1"):
        pass
    done = await jobs.find_job(ok)
    assert done and done.status == "done" and done.progress == 100
    assert done.result == {"echo": "你好"}
    failed = await jobs.find_job(refused)
    assert failed and failed.status == "failed" and failed.message == "输入有误"
    crash = await jobs.find_job(crashed)
    assert crash and crash.status == "failed"
    assert "secret internals" not in crash.message


async def test_stale_running_jobs_are_requeued(db) -> None:
    import datetime as dt

    job_id = await jobs.enqueue_job("test.echo", {"value": 1}, None)
    claimed = await jobs.claim_next_job("dead-worker")
    assert claimed and claimed.id == job_id
    future = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    assert await jobs.requeue_stale_jobs(future) == 1
    again = await jobs.claim_next_job("w2")
    assert again and again.id == job_id
