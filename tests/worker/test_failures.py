"""Workers stopped, killed and replaced at random while the router carries a stream.

The demo's harness publishes the scenario, plays the agency services and
checks every delivery; these tests only make the workers' lives hard.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from bus.catalogue import load_catalogue
from bus.demo.harness import Harness
from bus.demo.scenario import build
from bus.settings import Settings
from bus.supervise import Service

pytestmark = [pytest.mark.broker, pytest.mark.slow]

READY = "Worker ready"
TIMEOUT_S = 300.0
ASSIGNED = re.compile(r"^(\S+ \S+) INFO bus\.worker\.loop: partitions assigned", re.M)


def _worker_env(app_id: str, catalogue_path: Path, exactly_once: bool) -> dict[str, str]:
    env = {"app_id": app_id, "catalogue": str(catalogue_path)}
    if exactly_once:
        env["processing_guarantee"] = "exactly_once"
    return env


@pytest.mark.parametrize("guarantee", ["at_least_once", "exactly_once"])
async def test_a_rebalance_storm_loses_nothing_and_exactly_once_repeats_nothing(
    settings_with_registry: Settings,
    catalogue_path: Path,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
    tmp_path: Path,
    guarantee: str,
) -> None:
    """Three workers; 20,000 events; workers stopped (SIGTERM) and killed (SIGKILL) at
    random moments and started again, one at a time, until the stream is through."""
    catalogue = load_catalogue(catalogue_path)
    scenario = build(catalogue, 4500)
    assert len(scenario.events) >= 20_000
    env = _worker_env(unique_name("app"), catalogue_path, guarantee == "exactly_once")
    rng = random.Random(2026)
    chunks = [scenario.events[i : i + 2000] for i in range(0, len(scenario.events), 2000)]
    stops: list[Service] = []
    folders = {n: tmp_path / f"worker-{n}" for n in range(3)}

    def start(n: int, incarnation: int) -> Service:
        # A new log per incarnation, the same folder: the same slot and identity.
        return start_worker(f"worker-{n}.{incarnation}", worker_dir=str(folders[n]), **env)

    async with Harness(settings_with_registry, catalogue, scenario) as harness:
        workers = {n: start(n, 0) for n in range(3)}
        for worker in workers.values():
            await asyncio.to_thread(worker.wait_until, lambda w=worker: w.logged(READY))
        for number, chunk in enumerate(chunks):
            await harness.publish(chunk)
            if number == 1:
                await harness.publish_poison()
            for _ in range(rng.randint(1, 6)):
                await harness.read_once()
            victim = rng.randrange(3)
            if rng.random() < 0.5:
                # SIGTERM once it is up (a process still importing Python cannot catch it)
                await asyncio.to_thread(
                    workers[victim].wait_until, lambda w=workers[victim]: w.logged(READY)
                )
                await asyncio.to_thread(workers[victim].stop)
                stops.append(workers[victim])
            else:
                workers[victim].kill()  # at any moment
            workers[victim] = start(victim, number + 1)
        await harness.read_until_done(list(workers.values()), TIMEOUT_S)
        assert all(worker.running for worker in workers.values())
    for worker in workers.values():
        await asyncio.to_thread(worker.stop)
        stops.append(worker)
    for worker in stops:  # SIGTERM: finish, commit, exit 0
        assert worker.process.returncode == 0, worker.log_tail()
    assert harness.problems() == []
    if guarantee == "exactly_once":
        assert harness.observed.duplicates() == 0
    print(f"{guarantee} storm: {harness.observed.duplicates()} repeated deliveries")


async def test_when_a_killed_worker_does_not_come_back_another_takes_its_partitions(
    settings_with_registry: Settings,
    catalogue_path: Path,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
) -> None:
    catalogue = load_catalogue(catalogue_path)
    scenario = build(catalogue, 1200)
    env = _worker_env(unique_name("app"), catalogue_path, exactly_once=True)
    half = len(scenario.events) // 2
    async with Harness(settings_with_registry, catalogue, scenario) as harness:
        doomed, survivor = start_worker("doomed", **env), start_worker("survivor", **env)
        for worker in (doomed, survivor):
            await asyncio.to_thread(worker.wait_until, lambda w=worker: w.logged(READY))
        for worker in (doomed, survivor):  # both joined: the partitions are split
            await asyncio.to_thread(worker.wait_until, lambda w=worker: _assignments(w) >= 1)
        await asyncio.sleep(2)  # the rebalance that split them is over
        await harness.publish(scenario.events[:half])
        while harness.progress() < 0.2:
            await harness.read_once()
        before = _assignments(survivor)
        assert _assignments(doomed) >= 1
        doomed.kill()
        killed_at = time.time()
        await harness.publish(scenario.events[half:])
        await harness.read_until_done([survivor], TIMEOUT_S)
    assert harness.problems() == []
    assert harness.observed.duplicates() == 0
    taken = _assigned_times(survivor)[before:]
    assert taken, survivor.log_tail()
    print(f"the survivor took the dead worker's partitions {taken[0] - killed_at:.1f}s later")


async def test_a_worker_whose_topics_were_deleted_and_made_again_starts_from_the_new_ones(
    settings_with_registry: Settings,
    catalogue_path: Path,
    start_worker: Callable[..., Service],
    unique_name: Callable[[str], str],
    kafka_admin: object,
) -> None:
    """Local files outlive topics: a worker keeps no state on disk that could disagree."""
    catalogue = load_catalogue(catalogue_path)
    env = _worker_env(unique_name("app"), catalogue_path, exactly_once=False)
    for round_ in range(2):
        scenario = build(catalogue, 60, seed=round_)
        async with Harness(settings_with_registry, catalogue, scenario) as harness:
            worker = start_worker("worker", **env)  # the same folder both times
            await asyncio.to_thread(worker.wait_until, lambda w=worker: w.logged(READY))
            await harness.publish(scenario.events)
            await harness.read_until_done([worker], TIMEOUT_S)
        await asyncio.to_thread(worker.stop)
        assert worker.process.returncode == 0, worker.log_tail()
        assert harness.problems() == []
        if round_ == 0:
            names = [spec.name for spec in catalogue.topic_specs()]
            names += [f"{env['app_id']}-router-subjects-changelog"]
            names += [f"{env['app_id']}-escalator-conversations-changelog"]
            await kafka_admin.delete_topics(names)  # type: ignore[attr-defined]
            for _ in range(60):  # until the broker has forgotten them
                if not set(names) & set(await kafka_admin.list_topics()):  # type: ignore[attr-defined]
                    break
                await asyncio.sleep(0.5)
    assert not worker.logged("Traceback"), worker.log_tail(60)


def _assigned_times(worker: Service) -> list[float]:
    text = worker.log_file.read_text(errors="replace")
    return [
        datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
        for stamp in ASSIGNED.findall(text)
    ]


def _assignments(worker: Service) -> int:
    return len(_assigned_times(worker))
