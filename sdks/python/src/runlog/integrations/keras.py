"""A Keras 3 callback (any backend: JAX, TensorFlow, PyTorch): metrics per batch and per epoch, the optimizer's
settings and the model's size as params."""

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
    that run and leaves it open; otherwise it starts one at the first fit, which later fits with this callback
    continue (fine-tuning after a warm-up) and which stays open after them for what the script logs next
    (`callback.run.log(...)` of an evaluation): `callback.finish()` ends it (a fit after that starts a new one),
    as does the next hook's run or the process' exit (failed, with the exception, if the fit raised)."""

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
        run = self._source.open(again=True)
        if run is not None:
            guarded(lambda: run.log_params(safe_params(self._fit_params())), "logging the fit's params")

    def _fit_params(self) -> Dict[str, Any]:
        params: Dict[str, Any] = {"keras.backend": keras.backend.backend()}
        model = getattr(self, "model", None)
        if model is not None:
            params["model.name"] = model.name
            params["model.parameters"] = int(model.count_params())
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None:
                config = {k: v for k, v in optimizer.get_config().items() if isinstance(v, (int, float, str, bool))}
                params["optimizer"] = config
        return params

    def on_train_batch_end(self, batch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        if self._every > 0 and logs and self._step % self._every == 0:
            self._source.log(numeric(logs, "train/"), self._step, "logging a batch")
        self._step += 1

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        if logs:
            self._source.log(numeric(logs, "epoch/"), epoch, "logging an epoch")

    def on_train_end(self, logs: Optional[Dict[str, Any]] = None) -> None:
        self._source.training_ended()

    def finish(self, timeout: Optional[float] = None) -> None:
        """Finishes the run this callback started (never a given one), waiting up to `timeout` for it to land."""
        self._source.finish(timeout)
