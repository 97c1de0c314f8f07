"""What the framework hooks share: turning a framework's log dict and hyperparameters into what Runlog takes, never
letting a refusal stop training, and the life of the run a hook starts."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from conftest import Stub

from runlog import Client
from runlog._values import METRIC_KEY
from runlog.integrations._common import RunSource, guarded, numeric, safe_key, safe_params


def test_only_single_numbers_are_kept_under_safe_keys() -> None:
    logs = {"loss": 0.5, "acc@1": np.float32(0.25), "lr": np.array([1e-3]), "hist": np.zeros(3), "name": "x", "b": True}
    assert numeric(logs, "train/") == {"train/loss": 0.5, "train/acc_1": np.float32(0.25), "train/lr": logs["lr"]}


@pytest.mark.parametrize("key", ["a" * 249 + "/b", "x/" * 200, "é/ü", "a/../b", "  /.", "a" * 300, "ok/ key "])
def test_a_safe_key_is_always_one_the_server_takes_or_empty(key: str) -> None:
    made = safe_key(key)
    assert made == "" or (len(made) <= 250 and METRIC_KEY.match(made))


def test_hyperparameters_are_flattened_with_safe_keys_and_values_cut_to_what_the_server_takes() -> None:
    params = safe_params({"loss@1": 1, "classes": ["c"] * 3000, "opt": {"lr": 0.1}})
    assert params["loss_1"] == 1 and params["opt.lr"] == 0.1
    assert len(params["classes"]) == 6000


def test_a_refusal_inside_a_hook_is_reported_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def refuse() -> None:
        raise ValueError("param key 'bad!' must be ...")

    with caplog.at_level(logging.WARNING, logger="runlog"):
        guarded(refuse, "logging hyperparameters")
    assert "logging hyperparameters failed" in caplog.text


QUICK = dict(flush_interval=0.05, retry_base_delay=0.01, retry_max_delay=0.05, flush_on_exit=False)


def test_a_hooks_run_outlives_its_training_and_ends_when_the_next_hook_starts_one(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    first = RunSource(None, client, "sweep", {"capture_context": False})
    run = first.open()
    assert run is not None
    first.training_ended()
    first.log({"eval/loss": 0.5}, 10, "logging metrics")  # the evaluation after training lands in the same run
    assert not run.ended

    second = RunSource(None, client, "sweep", {"capture_context": False})
    next_run = second.open()
    assert next_run is not None and next_run.id != run.id
    assert client.flush(10)
    assert run.ended and not next_run.ended
    assert [r.path for r in stub.of("/finish")] == [f"/api/v1/runs/{run.id}/finish"]
    assert any(e["key"] == "eval/loss" for r in stub.of(f"/{run.id}/metrics") for e in r.json()["metrics"])
    client.close()


def test_a_given_run_is_never_ended_by_the_hook_and_a_training_still_running_is_not_ended_by_another(
    stub: Stub,
) -> None:
    client = Client(stub.url, **QUICK)
    given = client.start_run("exp", capture_context=False)
    hook = RunSource(given, client, None, {})
    hook.training_ended()
    hook.finish(10)
    running = RunSource(None, client, "exp", {"capture_context": False})
    still_training = running.open()
    RunSource(None, client, "exp", {"capture_context": False}).open()
    assert client.flush(10)
    assert not given.ended and still_training is not None and not still_training.ended
    assert stub.of("/finish") == []
    client.close()


def test_a_failed_training_ends_the_run_with_the_exception_and_its_traceback(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    hook = RunSource(None, client, "exp", {"capture_context": False})
    hook.open()
    try:
        raise FloatingPointError("loss is nan")
    except FloatingPointError as error:
        hook.end("fail", None, error, timeout=10)
    [failed] = stub.of("/fail")
    assert failed.json()["reason"] == "FloatingPointError: loss is nan"
    assert "raise FloatingPointError" in failed.json()["stackTrace"]
    client.close()


def test_a_refused_run_is_reported_once_and_training_goes_on_unlogged(
    stub: Stub, caplog: pytest.LogCaptureFixture
) -> None:
    stub.answer = lambda r: (403, {}, b'{"error":"token lacks runs:write"}') if r.path == "/api/v1/runs" else None
    client = Client(stub.url, **QUICK)
    hook = RunSource(None, client, "exp", {"capture_context": False})
    with caplog.at_level(logging.WARNING, logger="runlog"):
        assert hook.open() is None
        assert hook.open() is None
        hook.log({"loss": 1.0}, 0, "logging metrics")
    assert caplog.text.count("starting a run failed") == 1
    assert len(stub.of("/api/v1/runs")) == 1
    client.close()


def test_logging_through_a_hook_after_its_run_was_finished_warns_once(
    stub: Stub, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(stub.url, **QUICK)
    hook = RunSource(None, client, "exp", {"capture_context": False})
    hook.open()
    hook.finish(10)
    with caplog.at_level(logging.WARNING, logger="runlog"):
        hook.log({"loss": 1.0}, 0, "logging metrics")
        hook.log({"loss": 2.0}, 1, "logging metrics")
    assert caplog.text.count("has ended") == 1
    assert stub.of("/metrics") == []
    client.close()


def test_an_ended_run_is_not_replaced_by_reading_the_hook_only_by_a_new_training(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    hook = RunSource(None, client, "exp", {"capture_context": False})
    first = hook.open()
    assert first is not None
    try:
        raise FloatingPointError("loss is nan")
    except FloatingPointError as error:
        hook.end("fail", None, error, timeout=10)
    assert hook.open() is first  # Lightning reads `logger.experiment` after the failure
    again = hook.open(again=True)
    assert again is not None and again is not first and not again.ended
    assert len(stub.of("/api/v1/runs")) == 2
    client.close()
