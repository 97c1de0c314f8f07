"""A PyTorch Lightning logger: `Trainer(logger=RunlogLogger(experiment="mnist"))`. Works with `lightning` 2.x (or
the older `pytorch_lightning` package). Only rank 0 logs, as Lightning's own loggers do."""

from __future__ import annotations

from argparse import Namespace
from typing import Any, Dict, Mapping, Optional, Union

try:
    from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
    from lightning.pytorch.utilities import rank_zero_only
except ImportError:  # pragma: no cover - the older package name
    from pytorch_lightning.loggers.logger import Logger, rank_zero_experiment
    from pytorch_lightning.utilities import rank_zero_only

from .._client import Client
from .._run import Run
from ._common import RunSource, guarded, numeric, safe_params


class RunlogLogger(Logger):  # type: ignore[misc]
    """Given a `run`, logs to it and leaves it open; otherwise starts one on first use and ends it in `finalize`
    (finished on "success", failed otherwise, killed when interrupted)."""

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
        return str(self.experiment.id)

    @property
    @rank_zero_experiment  # type: ignore[untyped-decorator]
    def experiment(self) -> Run:
        return self._source.run if self._source.run is not None else self._source.open()

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_hyperparams(self, params: Union[Dict[str, Any], Namespace], *args: Any, **kwargs: Any) -> None:
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        if values:
            run = self.experiment
            guarded(lambda: run.log_params(safe_params(values)), "logging hyperparameters")

    @rank_zero_only  # type: ignore[untyped-decorator]
    def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
        scalars = numeric(metrics)
        if scalars:
            run = self.experiment
            at = step if step is not None else run.current_step()
            guarded(lambda: run.log_at(scalars, at), "logging metrics")

    @rank_zero_only  # type: ignore[untyped-decorator]
    def finalize(self, status: str) -> None:
        if status == "success":
            self._source.end("finish")
        elif status in ("interrupted", "keyboard_interrupt"):
            self._source.end("kill", f"lightning: {status}")
        else:
            self._source.end("fail", f"lightning: {status}")
