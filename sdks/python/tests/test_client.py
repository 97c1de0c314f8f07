"""The client against a stub server: what it sends, how it retries, its backpressure, and how runs end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from typing import Any, Dict, List

import pytest
from conftest import Recorded, Stub

import runlog
from runlog import Client, RunEndedError, RunlogRequestError

QUICK = dict(flush_interval=0.05, retry_base_delay=0.01, retry_max_delay=0.05, flush_on_exit=False)


def points_of(requests: List[Recorded]) -> Dict[str, List[tuple[int, Any]]]:
    series: Dict[str, List[tuple[int, Any]]] = {}
    for request in requests:
        for entry in request.json()["metrics"]:
            series.setdefault(entry["key"], []).extend(zip(entry["steps"], entry["values"]))
    return series


def test_points_go_gzipped_in_columns_with_the_worker_and_a_uuid7_per_request(stub: Stub) -> None:
    client = Client(stub.url, worker="3", **QUICK)
    run = client.start_run("exp", capture_context=False)
    for step in range(5):
        run.log({"loss": 1 / (1 + step), "acc": step}, step)
    run.log({"loss": float("nan"), "acc": float("inf")})
    assert run.finish(10)
    batches = stub.of("/metrics")
    assert all(r.headers["content-encoding"] == "gzip" for r in batches)
    bodies = [r.json() for r in batches]
    assert all(body["worker"] == "3" and uuid.UUID(body["eventId"]).version == 7 for body in bodies)
    assert points_of(batches) == {
        "loss": [(0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25), (4, 0.2), (5, "NaN")],
        "acc": [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, "Infinity")],
    }
    assert stub.requests[-1].path.endswith("/finish")


def test_a_request_is_retried_with_the_same_event_id_and_waits_for_retry_after(stub: Stub) -> None:
    refusals = {"left": 2}

    def answer(request: Recorded) -> Any:
        if request.path.endswith("/metrics") and refusals["left"] > 0:
            refusals["left"] -= 1
            return (503, {"retry-after": "1"}, b'{"message":"busy"}')
        return None

    stub.answer = answer
    client = Client(stub.url, **QUICK)
    run = client.start_run("exp", capture_context=False)
    run.log({"loss": 1.0}, 0)
    assert client.flush(30)
    attempts = stub.of("/metrics")
    assert len(attempts) == 3
    assert len({r.json()["eventId"] for r in attempts}) == 1
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:])]
    assert all(gap >= 1.0 for gap in gaps), gaps
    run.finish(10)


def test_a_refusal_is_final_reported_and_does_not_hold_up_the_rest(stub: Stub) -> None:
    stub.answer = lambda r: (
        (400, {}, b'{"message":"\\"params.x\\" is bad","field":"params"}') if r.path.endswith("/params") else None
    )
    errors: List[Exception] = []
    client = Client(stub.url, on_error=errors.append, **QUICK)
    run = client.start_run("exp", capture_context=False)
    refused = run.log_params({"x": 1})
    run.log({"loss": 1.0}, 0)
    assert run.finish(10)
    with pytest.raises(RunlogRequestError, match="params.x"):
        refused.result(1)
    assert [type(error) for error in errors] == [RunlogRequestError]  # reported, though a Future holds it too
    assert len(stub.of("/params")) == 1
    assert points_of(stub.of("/metrics")) == {"loss": [(0, 1.0)]}


def test_bad_input_raises_at_the_call_and_keeps_nothing_of_it(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    run = client.start_run("exp", capture_context=False)
    run.log({"a": 1.0}, 0)
    with pytest.raises(TypeError, match='"b"'):
        run.log({"a": 2.0, "b": "x"}, 1)
    with pytest.raises(ValueError, match="metric key"):
        run.log({"a": 2.0, "bad//key": 1.0}, 1)
    with pytest.raises(ValueError, match="param key"):
        run.log_params({"bad key!": 1})
    run.log({"a": 3.0})  # the step after the last one taken: 1
    assert run.finish(10)
    assert points_of(stub.of("/metrics")) == {"a": [(0, 1.0), (1, 3.0)]}
    with pytest.raises(RunEndedError):
        run.log({"a": 1.0}, 2)


def test_when_the_queue_is_full_points_are_dropped_counted_and_recorded_on_the_run(stub: Stub) -> None:
    down = {"on": True}
    stub.answer = lambda r: (503, {}, b"{}") if down["on"] and r.path.endswith("/metrics") else None
    client = Client(stub.url, max_queued_points=1_000, flush_every=100, **QUICK)
    run = client.start_run("exp", capture_context=False)
    for step in range(5_000):
        run.log({"loss": float(step)}, step)  # never blocks, never raises while the server is down
    assert 0 < run.dropped_points <= 4_000
    assert client.pending_points() <= 1_000
    down["on"] = False
    assert run.finish(30)
    sent = len(points_of(stub.of("/metrics")).get("loss", []))
    distinct = {step for r in stub.of("/metrics") for e in r.json()["metrics"] for step in e["steps"]}
    assert len(distinct) + run.dropped_points == 5_000
    assert sent >= len(distinct)
    tags = [r.json()["tags"] for r in stub.of("/tags")]
    assert tags == [{runlog.DROPPED_TAG: str(run.dropped_points)}]
    assert stub.requests[-1].path.endswith("/finish")


def test_with_a_block_budget_log_waits_for_room_instead_of_dropping(stub: Stub) -> None:
    client = Client(stub.url, max_queued_points=200, flush_every=50, max_block_seconds=30, **QUICK)
    run = client.start_run("exp", capture_context=False)
    for step in range(2_000):
        run.log({"loss": float(step)}, step)
    assert run.finish(30)
    assert run.dropped_points == 0
    assert len(points_of(stub.of("/metrics"))["loss"]) == 2_000


def test_a_run_used_as_a_context_manager_is_failed_with_the_traceback_or_killed(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    with pytest.raises(ZeroDivisionError):
        with client.start_run("exp", capture_context=False) as run:
            run.log({"loss": 1.0})
            print(1 / 0)
    (failed,) = [r.json() for r in stub.of("/fail")]
    assert failed["reason"] == "ZeroDivisionError: division by zero"
    assert "Traceback" in failed["stackTrace"] and "print(1 / 0)" in failed["stackTrace"]
    with pytest.raises(KeyboardInterrupt):
        with client.start_run("exp", capture_context=False):
            raise KeyboardInterrupt
    assert [r.json()["reason"] for r in stub.of("/kill")] == ["KeyboardInterrupt"]


def test_the_run_creation_carries_context_and_seeds(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    run = client.start_run("exp", params={"opt": {"lr": 0.1}}, tags={"t": 1}, seeds={"torch": 7, "bad key!": 1})
    run.finish(10)
    created = stub.of("/api/v1/runs")[0].json()
    assert created["context"]["environment"]["runtime"] == "python"
    assert created["context"]["seeds"] == {"torch": 7}
    assert created["runId"] == created["eventId"]
    assert stub.of("/params")[0].json()["params"] == {"opt.lr": 0.1}
    assert stub.of("/tags")[0].json()["tags"] == {"t": "1"}


def test_after_fork_the_child_sends_only_its_own_points(stub: Stub) -> None:
    client = Client(stub.url, **{**QUICK, "flush_interval": 3600.0})
    run = client.start_run("exp", capture_context=False)
    for step in range(100):
        run.log({"parent": float(step)}, step)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            run.log({"child": 1.0}, 0)
            os._exit(0 if client.flush(10) else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    run.finish(10)
    assert {key: len(points) for key, points in points_of(stub.of("/metrics")).items()} == {"parent": 100, "child": 1}


SCRIPT = """
import os, sys, time
import runlog
client = runlog.init({url!r}, flush_interval=3600, retry_base_delay=0.01)
{body}
"""


def run_script(stub: Stub, body: str, *, signal_after_ready: bool = False) -> int:
    code = SCRIPT.format(url=stub.url, body=textwrap.dedent(body))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if signal_after_ready:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        child.send_signal(signal.SIGTERM)
    child.wait(60)
    return child.returncode


def test_at_exit_open_runs_are_finished_and_everything_is_sent(stub: Stub) -> None:
    code = run_script(stub, "run = runlog.start_run('exp', capture_context=False)\nrun.log({'x': 1.0}, 0)")
    assert code == 0
    assert points_of(stub.of("/metrics")) == {"x": [(0, 1.0)]}
    assert stub.requests[-1].path.endswith("/finish")


def test_an_uncaught_exception_fails_the_open_run_at_exit(stub: Stub) -> None:
    code = run_script(stub, "run = runlog.start_run('exp', capture_context=False)\nraise ValueError('diverged')")
    assert code == 1
    assert [r.json()["reason"] for r in stub.of("/fail")] == ["ValueError: diverged"]


def test_sigterm_kills_the_run_after_sending_its_points_and_exits_143(stub: Stub) -> None:
    body = """
    with runlog.start_run('exp', capture_context=False) as run:
        run.log({'x': 1.0}, 0)
        print('ready', flush=True)
        time.sleep(60)
    """
    assert run_script(stub, body, signal_after_ready=True) == 143
    assert points_of(stub.of("/metrics")) == {"x": [(0, 1.0)]}
    assert [r.json()["reason"] for r in stub.of("/kill")] == ["SIGTERM"]


def test_after_sigterm_a_server_that_is_down_keeps_the_process_no_longer_than_the_grace_period(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub.answer = lambda r: (503, {}, b"{}") if r.path != "/api/v1/runs" and "experiments" not in r.path else None
    monkeypatch.setenv("RUNLOG_TERM_GRACE_SECONDS", "1.5")
    body = """
    with runlog.start_run('exp', capture_context=False) as run:
        run.log({'x': 1.0}, 0)
        print('ready', flush=True)
        time.sleep(60)
    """
    started = time.monotonic()
    assert run_script(stub, body, signal_after_ready=True) == 143
    # Without one shared grace period the `with` block's kill and the exit flush would wait 60 s each.
    assert time.monotonic() - started < 20
    assert stub.of("/kill"), "the kill was tried within the grace period"


def test_a_multiprocessing_child_sends_its_points_before_it_exits(stub: Stub) -> None:
    body = """
    import multiprocessing as mp
    run = runlog.start_run('exp', capture_context=False)
    def work(rank):
        child_run = runlog.attach_run(run.id)
        child_run.log({'worker/%d' % rank: float(rank)}, 0)
    if __name__ == '__main__':
        procs = [mp.get_context('fork').Process(target=work, args=(r,)) for r in range(2)]
        [p.start() for p in procs]
        [p.join() for p in procs]
        sys.exit(max(p.exitcode for p in procs))
    """
    assert run_script(stub, body) == 0
    assert points_of(stub.of("/metrics")) == {"worker/0": [(0, 0.0)], "worker/1": [(0, 1.0)]}


def test_a_bad_url_or_token_fails_at_once() -> None:
    with pytest.raises(ValueError, match="http"):
        Client("localhost:8080", flush_on_exit=False)
    with pytest.raises(ValueError, match="token"):
        Client("http://127.0.0.1:1", token="has space", flush_on_exit=False)
    with pytest.raises(ValueError, match="worker"):
        Client("http://127.0.0.1:1", worker="rank/0", flush_on_exit=False)


def test_the_exported_history_is_parsed_page_by_page(stub: Stub) -> None:
    pages = [
        (
            200,
            {"runlog-next-cursor": "c1", "content-type": "text/csv"},
            b"run_id,key,step,value,timestamp,worker\nr,loss,0,0.5,2026-12-04 10:00:00.000,\n",
        ),
        (200, {"content-type": "text/csv"}, b"run_id,key,step,value,timestamp,worker\nr,loss,1,nan,1796420743578,2\n"),
    ]
    stub.answer = lambda r: pages.pop(0) if r.path.endswith("/export") else None
    client = Client(stub.url, **QUICK)
    points = list(client.attach_run("r").history(["loss"]))
    assert [(p.step, p.worker) for p in points] == [(0, ""), (1, "2")]
    assert points[0].value == 0.5 and points[1].value != points[1].value
    assert json.loads(stub.of("/export")[1].body)["cursor"] == "c1"


def test_when_the_server_does_not_answer_the_run_is_made_in_the_background_first(stub: Stub) -> None:
    down_until = time.monotonic() + 1.5
    stub.answer = lambda r: (503, {}, b"{}") if time.monotonic() < down_until else None
    client = Client(stub.url, **QUICK)
    started = time.monotonic()
    run = client.start_run("exp", capture_context=False, start_timeout=0.2)
    assert time.monotonic() < down_until, "start_run returned while the server was still down"
    run.log({"loss": 1.0}, 0)
    assert run.finish(30)
    assert time.monotonic() - started >= 1.5
    landed = [r for r in stub.requests if r.status == 200]
    assert [r.path.rsplit("/", 1)[-1] for r in landed] == ["experiments", "runs", "metrics", "finish"]
    creations = stub.of("/api/v1/runs")
    assert len({r.json()["eventId"] for r in creations}) == 1
    assert {r.json()["runId"] for r in creations} == {run.id}
    assert len({r.json()["eventId"] for r in stub.of("/api/v1/experiments")}) == 1


def test_a_process_forked_from_a_training_script_never_ends_its_runs(stub: Stub) -> None:
    body = """
    import multiprocessing as mp
    run = runlog.start_run('exp', capture_context=False)
    run.log({'x': 1.0}, 0)
    def work():
        pass  # a DataLoader worker: never touches runlog, exits through multiprocessing's finalizers
    if __name__ == '__main__':
        for _ in range(2):
            p = mp.get_context('fork').Process(target=work)
            p.start()
            p.join()
        run.log({'x': 2.0}, 1)
        run.finish()
    """
    assert run_script(stub, body) == 0
    paths = [r.path.rsplit("/", 1)[-1] for r in stub.requests]
    assert paths.count("finish") == 1 and paths[-1] == "finish"
    assert points_of(stub.of("/metrics")) == {"x": [(0, 1.0), (1, 2.0)]}


def test_a_forked_child_sends_what_it_logs_without_waiting_for_its_exit(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    run = client.start_run("exp", capture_context=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child leaves through os._exit: no exit hook can send for it
        try:
            run.log({"child": 1.0}, 0)
            time.sleep(8)
        finally:
            os._exit(0)
    try:
        deadline = time.monotonic() + 6
        while not stub.of("/metrics") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert points_of(stub.of("/metrics")) == {"child": [(0, 1.0)]}
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    run.finish(10)


def test_a_callback_or_a_cancelled_future_that_raises_never_stops_the_senders(stub: Stub) -> None:
    stub.answer = lambda r: (400, {}, b'{"message":"no"}') if r.path.endswith("/note") else None

    def failing_callback(error: Exception) -> None:
        raise RuntimeError("the user's callback failed")

    client = Client(stub.url, on_error=failing_callback, **QUICK)
    run = client.start_run("exp", capture_context=False)
    for _ in range(4):
        run.set_note("refused")
    cancelled = run.set_tags({"a": "1"})
    cancelled.cancel()
    for step in range(100):
        run.log({"x": float(step)}, step)
    assert run.finish(10)
    assert len(points_of(stub.of("/metrics"))["x"]) == 100


def test_an_artifact_whose_file_went_away_fails_alone_and_the_run_goes_on(stub: Stub, tmp_path: Any) -> None:
    checkpoint = tmp_path / "last.ckpt"
    checkpoint.write_bytes(b"weights")

    def answer(request: Recorded) -> Any:
        if "/artifacts/" in request.path:
            checkpoint.unlink()  # rotated away between two attempts
            return (503, {}, b"{}")
        return None

    stub.answer = answer
    client = Client(stub.url, **QUICK)
    run = client.start_run("exp", capture_context=False)
    upload = run.log_artifact(str(checkpoint))
    run.log({"x": 1.0}, 0)
    assert run.finish(10)
    with pytest.raises(runlog.LocalFileError, match="last.ckpt"):
        upload.result(1)
    assert points_of(stub.of("/metrics")) == {"x": [(0, 1.0)]}


def test_points_logged_while_the_run_finishes_never_follow_its_finish(stub: Stub) -> None:
    import threading

    client = Client(stub.url, **QUICK)
    for _ in range(20):
        run = client.start_run("exp", capture_context=False)
        stop = threading.Event()

        def hammer(target: runlog.Run = run, stop: threading.Event = stop) -> None:
            step = 0
            while not stop.is_set():
                target.log_at({"x": 1.0}, step)
                step += 1

        thread = threading.Thread(target=hammer)
        thread.start()
        time.sleep(0.01)
        assert run.finish(10)
        stop.set()
        thread.join()
        mine = [r.path.rsplit("/", 1)[-1] for r in stub.requests if f"/runs/{run.id}/" in r.path]
        assert mine[-1] == "finish", mine[-5:]
    assert client.pending_points() == 0


def test_start_timeout_bounds_start_run_even_when_the_server_takes_the_connection_and_never_answers() -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    client = Client(url, request_timeout=60, **QUICK)
    started = time.monotonic()
    run = client.start_run("exp", capture_context=False, start_timeout=0.5)
    assert time.monotonic() - started < 10  # not the 60 s a request may take
    assert run.id
    client.close(0.1)
    listener.close()


def test_sigterm_kills_a_run_used_without_a_with_block(stub: Stub) -> None:
    body = """
    run = runlog.start_run('exp', capture_context=False)
    run.log({'x': 1.0}, 0)
    print('ready', flush=True)
    time.sleep(60)
    """
    assert run_script(stub, body, signal_after_ready=True) == 143
    assert [r.json()["reason"] for r in stub.of("/kill")] == ["SIGTERM"]
    assert points_of(stub.of("/metrics")) == {"x": [(0, 1.0)]}


def test_sigterm_in_a_process_that_only_attached_sends_its_points(stub: Stub) -> None:
    body = """
    run = runlog.attach_run('run-of-rank-0')
    run.log({'x': 1.0}, 0)
    print('ready', flush=True)
    time.sleep(60)
    """
    assert run_script(stub, body, signal_after_ready=True) == 143
    assert points_of(stub.of("/metrics")) == {"x": [(0, 1.0)]}
    assert stub.of("/kill") == [] and stub.of("/finish") == []


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_sender_thread_that_died_is_replaced_by_the_next_point(stub: Stub) -> None:
    client = Client(stub.url, senders=1, **QUICK)
    original = client._next_locked
    failures = [RuntimeError("a bug in the sender")]

    def fails_once() -> Any:
        if failures:
            raise failures.pop()
        return original()

    client._next_locked = fails_once  # type: ignore[method-assign]
    run = client.start_run("exp", capture_context=False)  # its sender meets the failure and dies
    deadline = time.monotonic() + 10
    while (failures or any(thread.is_alive() for thread in client._threads)) and time.monotonic() < deadline:
        time.sleep(0.01)
    run.log({"x": 1.0}, 0)
    run.log({"x": 2.0}, 1)
    deadline = time.monotonic() + 10  # sent by a sender, not by a flush (which sends even without one)
    while len(points_of(stub.of("/metrics")).get("x", [])) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert points_of(stub.of("/metrics")) == {"x": [(0, 1.0), (1, 2.0)]}
    client.close()
