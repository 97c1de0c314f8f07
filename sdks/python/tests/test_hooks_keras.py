"""The Keras callback on a tiny model, Keras 3 on the JAX backend, against the real server."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np
import pytest
from server_reads import run_view

import runlog

pytestmark = [pytest.mark.server, pytest.mark.keras]


def test_a_keras_fit_logs_batches_epochs_and_params_and_its_run_stays_open_until_finished(server_url: str) -> None:
    from runlog.integrations.keras import RunlogCallback

    client = runlog.Client(server_url, flush_on_exit=False)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    callback = RunlogCallback(experiment="keras-hook", client=client, name="tiny")
    model.fit(x, y, batch_size=16, epochs=3, validation_split=0.25, callbacks=[callback], verbose=0)
    assert callback.run is not None and not callback.run.ended  # open for the evaluation that follows
    loss, mae = model.evaluate(x, y, verbose=0)
    callback.run.log_at({"test/loss": loss, "test/mae": mae}, 3)
    callback.finish()
    assert callback.run.ended

    run = run_view(
        server_url,
        callback.run.id,
        lambda r: (
            r["status"] == "finished" and len(r["metrics"]) >= 8 and any(m["key"] == "test/mae" for m in r["metrics"])
        ),
    )
    metrics = {m["key"]: m for m in run["metrics"]}
    assert metrics["train/loss"]["count"] == 3 * 3  # 48 training rows in batches of 16, three epochs
    assert metrics["epoch/loss"]["count"] == 3 and metrics["epoch/loss"]["lastStep"] == 2
    assert metrics["epoch/val_loss"]["count"] == 3 and "epoch/val_mae" in metrics
    assert metrics["test/mae"]["count"] == 1
    params = {p["key"]: p["value"] for p in run["params"]}
    assert params["keras.backend"] == "jax"
    assert params["model.parameters"] == str(model.count_params())
    assert float(params["optimizer.learning_rate"]) == pytest.approx(0.01)
    client.close()
