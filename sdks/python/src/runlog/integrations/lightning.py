"""A PyTorch Lightning logger: `Trainer(logger=RunlogLogger(experiment="mnist"))`. Works with `lightning` 2.x (or
the older `pytorch_lightning` package). Only rank 0 logs, as Lightning's own loggers do."""

from __future__ import annotations

import sys
from argparse import Namespace
from typing import Any, Dict, Mapping, Optional, Union

try:
    from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # pragma: no cover - the older package name
    from pytorch_lightning.loggers.logger import Logger, rank_zero_experiment
    from pytorch_lightning.utilities import rank_zero_only

from .._client import Client
from .._lifecycle import Terminated
from .._run import Run
from ._common import RunSource, guarded, numeric, safe_params


class RunlogLogger(Logger):  # type: ignore[misc]
    """Given a `run`, logs to it and leaves it open; otherwise starts one on first use. Lightning calls `finalize`
    after each of `fit`, `validate`, `test` and `predict`: on success the run stays open, so that a `trainer.test()`
    after the fit lands in it too, and `logger.finish()` ends it, as does the next hook's run or the process' exit.
    A stage that raised ends it at once: killed on Ctrl-C or SIGTERM, failed with the exception otherwise."""

    def __init__(
        self,
        run: Optional[Run] = None,
        *,
        experiment: Optional[str] = None,
        client: Optional[Client] = None,
        **run_options: Any,
    ) -> None:
        super().__init__()
        self._experiment_name = experiment
        self._source = RunSource(run, client, experiment, run_options)

    @property
    def name(self) -> str:
        return self._experiment_name or "default"

    @property
    def version(self) -> str:
        run = self.experiment
        return str(run.id) if run is not None else "unlogged"

    @property
    @rank_zero_experiment  # type: ignore[untyped-decorator]
    def experiment(self) -> Optional[Run]:
        return self._source.open()

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_hyperparams(self, params: Union[Dict[str, Any], Namespace], *args: Any, **kwargs: Any) -> None:
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        run = self.experiment if values else None
        if run is not None:
            guarded(lambda: run.log_params(safe_params(values)), "logging hyperparameters")

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
        scalars = numeric(metrics)
        run = self.experiment if scalars else None
        if run is not None:
            self._source.log(scalars, step if step is not None else run.current_step(), "logging metrics")

    @rank_zero_only  # type: ignore[untyped-decorator]
    def finalize(self, status: str) -> None:
        if status == "success":
            self._source.training_ended()
            return
        # Lightning calls this from inside its `except` (with "failed" for Ctrl-C and SIGTERM too): the exception
        # in flight says which it was, and gives the failure its message and traceback.
        error = sys.exc_info()[1]
        if isinstance(error, (KeyboardInterrupt, Terminated)) or status in ("interrupted", "keyboard_interrupt"):
            self._source.end("kill", "SIGTERM" if isinstance(error, Terminated) else "KeyboardInterrupt")
        else:
            self._source.end("fail", None if error is not None else f"lightning: {status}", error)

    def finish(self, timeout: Optional[float] = None) -> None:
        """Finishes the run this logger started (never a given one), waiting up to `timeout` for it to land."""
        self._source.finish(timeout)
