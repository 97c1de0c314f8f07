"""16 concurrent runs, from threads and from processes, log 1,000,000 points through RUNLOG_URL, which the driving
spec (test/integration/python-sdk.int.spec.ts) points at a proxy that refuses connections, answers 503 with
Retry-After, cuts answers after the server took the request, and restarts the server part-way. Every run's
expectation goes into RUNLOG_MANIFEST; the spec checks the projection against it."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
import time
from typing import Any, Dict, List

import numpy as np
import pytest

import runlog

pytestmark = [pytest.mark.server, pytest.mark.load]

THREADS_HERE = 8  # runs in threads of this process, and two processes of four threads more: 16 runs
RUNS_PER_CHILD = 4
CHILDREN = 2
STEPS = 31_250  # two keys a step: 62,500 points a run, 1,000,000 in all
CLIENT = dict(flush_every=5_000, retry_base_delay=0.02, retry_max_delay=0.5, flush_on_exit=False)


def log_run(client: runlog.Client, index: int, folder: str) -> Dict[str, Any]:
    artifact = os.path.join(folder, f"weights-{index}.bin")
    with open(artifact, "wb") as file:
        file.write(os.urandom(64 * 1024 + index))
    with open(artifact, "rb") as file:
        sha = hashlib.sha256(file.read()).hexdigest()
    params = {"optimizer": {"name": "adam", "lr": 0.001 * (index + 1)}, "seed": index}
    with client.start_run(
        f"py-sweep-{index}", name=f"trial-{index}", params=params, tags={"sweep": "py"}, seeds={"torch": index}
    ) as run:
        run.log_input("train.csv", "sha256:" + "ab" * 32, split="train", rows=2)
        # numpy values on odd runs: the conversion is on the hot path of real training loops
        parity = np.float32 if index % 2 else float
        for step in range(STEPS):
            run.log({"train/loss": 1 / (1 + step), "train/parity": parity(step % 2)}, step)
        run.log_artifact(artifact, "model/weights.bin")
    return {
        "id": run.id,
        "status": "finished",
        "params": {"optimizer.lr": str(0.001 * (index + 1)), "optimizer.name": "adam", "seed": str(index)},
        "tags": {"sweep": "py"},
        "seeds": {"torch": str(index)},
        "inputs": [{"name": "train.csv", "split": "train", "rows": 2}],
        "artifacts": {"model/weights.bin": sha},
        "metrics": {
            "train/loss": {"count": STEPS, "min": 1 / STEPS, "max": 1, "last": 1 / STEPS, "lastStep": STEPS - 1},
            "train/parity": {"count": STEPS, "min": 0, "max": 1, "last": 1, "lastStep": STEPS - 1},
        },
    }


def log_runs(first: int, count: int, folder: str, errors: List[str]) -> List[Dict[str, Any]]:
    client = runlog.Client(on_error=lambda error: errors.append(repr(error)), **CLIENT)
    results: List[Dict[str, Any]] = [{} for _ in range(count)]

    def one(offset: int) -> None:
        try:
            results[offset] = log_run(client, first + offset, folder)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            errors.append(repr(error))

    threads = [threading.Thread(target=one, args=(offset,)) for offset in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if not client.close(120):
        errors.append("the client did not drain")
    return results


def process_main(first: int, folder: str, queue: Any) -> None:
    errors: List[str] = []
    queue.put((log_runs(first, RUNS_PER_CHILD, folder, errors), errors))


def failing_run(folder: str) -> Dict[str, Any]:
    client = runlog.Client(**CLIENT)
    with pytest.raises(ArithmeticError):
        with client.start_run("py-failing", capture_context=False) as run:
            run.log({"train/loss": 1.7976931348623157e308}, 0)
            run.log({"train/loss": float("nan"), "grad/norm": float("inf")}, 1)
            raise ArithmeticError("loss diverged")
    client.close(60)
    return {
        "id": run.id,
        "status": "failed",
        "failureReason": "ArithmeticError: loss diverged",
        "stackTraceHas": "raise ArithmeticError",
        "metrics": {
            "grad/norm": {"count": 1, "min": None, "max": None, "last": "Infinity", "lastStep": 1},
            "train/loss": {
                "count": 2,
                "min": 1.7976931348623157e308,
                "max": 1.7976931348623157e308,
                "last": "NaN",
                "lastStep": 1,
            },
        },
    }


def read_back(run_id: str, expected: Any, key: str) -> None:
    """Every point of a series through `run.history` (the export, through the same faults), once projected."""
    client = runlog.Client(**CLIENT)
    deadline = time.monotonic() + 180
    while True:
        points = list(client.attach_run(run_id).history([key]))
        if len(points) >= STEPS or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert [point.step for point in points] == list(range(STEPS))
    assert all(point.value == expected(point.step) and point.key == key for point in points)
    client.close(10)


def test_sixteen_runs_from_threads_and_processes_land_every_point_once(tmp_path: Any) -> None:
    folder = str(tmp_path)
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: as a launcher starts the ranks of a job
    queue = spawn.Queue()
    children = [
        spawn.Process(target=process_main, args=(THREADS_HERE + RUNS_PER_CHILD * child, folder, queue))
        for child in range(CHILDREN)
    ]
    for child in children:
        child.start()
    errors: List[str] = []
    runs = log_runs(0, THREADS_HERE, folder, errors)
    for _ in children:
        child_runs, child_errors = queue.get(timeout=900)
        runs.extend(child_runs)
        errors.extend(child_errors)
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    assert errors == []
    assert len(runs) == 16 and all(run.get("id") for run in runs)
    read_back(runs[0]["id"], lambda step: 1 / (1 + step), "train/loss")
    read_back(runs[-1]["id"], lambda step: float(step % 2), "train/parity")
    runs.append(failing_run(folder))
    manifest = os.environ.get("RUNLOG_MANIFEST")
    assert manifest, "RUNLOG_MANIFEST names where the expectations go"
    with open(manifest, "w", encoding="utf-8") as file:
        json.dump({"runs": runs, "python": ".".join(map(str, __import__("sys").version_info[:3]))}, file)
