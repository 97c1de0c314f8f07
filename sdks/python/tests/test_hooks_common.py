"""What the framework hooks share: turning a framework's log dict and hyperparameters into what Runlog takes, and
never letting a refusal stop training."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from runlog._values import METRIC_KEY
from runlog.integrations._common import guarded, numeric, safe_key, safe_params


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
