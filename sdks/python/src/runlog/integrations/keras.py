"""A Keras 3 callback (any backend: JAX, TensorFlow, PyTorch): metrics per batch and per epoch, the optimizer's
settings and the model's size as params, and the run ended with the fit."""

from __future__ import annotations

from typing import Any, Dict, Optional

import keras

from .._client import Client
from .._run import Run
from ._common import RunSource, guarded, numeric, safe_params


class RunlogCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """`model.fit(..., callbacks=[RunlogCallback(experiment="mnist")])`.

    Batch metrics go under `train/<name>` at the global batch step, epoch metrics (`val_*` included) under
    `epoch/<name>` at the epoch; `log_every_n_batches` thins the batch series (0: none). Given a `run`, it logs to
    that run and leaves it open; otherwise it starts one at `on_train_begin` and finishes it at `on_train_end`
    (failed if the fit raised: Keras does not call on_train_end then, so the run's context manager or the exit
    hook ends it)."""

    def __init__(
        self,
        run: Optional[Run] = None,
        *,
        experiment: Optional[str] = None,
        client: Optional[Client] = None,
        log_every_n_batches: int = 1,
        **run_options: Any,
    ) -> None:
        super().__init__()
        self._source = RunSource(run, client, experiment, run_options)
        self._every = log_every_n_batches
        self._step = 0

    @property
    def run(self) -> Optional[Run]:
        return self._source.run

    def on_train_begin(self, logs: Optional[Dict[str, Any]] = None) -> None:
        run = self._source.open()
        params: Dict[str, Any] = {"keras.backend": keras.backend.backend()}
        model = getattr(self, "model", None)
        if model is not None:
            params["model.name"] = model.name
            params["model.parameters"] = int(model.count_params())
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None:
                config = {k: v for k, v in optimizer.get_config().items() if isinstance(v, (int, float, str, bool))}
                params["optimizer"] = config
        guarded(lambda: run.log_params(safe_params(params)), "logging the fit's params")

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        if self.run is not None and self._every > 0 and logs and self._step % self._every == 0:
            run, step = self.run, self._step
            guarded(lambda: run.log_at(numeric(logs, "train/"), step), "logging a batch")
        self._step += 1

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        if self.run is not None and logs:
            run = self.run
            guarded(lambda: run.log_at(numeric(logs, "epoch/"), epoch), "logging an epoch")

    def on_train_end(self, logs: Optional[Dict[str, Any]] = None) -> None:
        self._source.end("finish")
