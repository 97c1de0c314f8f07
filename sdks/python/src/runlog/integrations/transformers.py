"""A Hugging Face Transformers callback: `Trainer(..., callbacks=[RunlogCallback(experiment="sst2")])`. Logs what
the Trainer logs (`train/...`, `eval/...`) at its global step, and the training arguments and model config as
params. Only the main process logs."""

from __future__ import annotations

from typing import Any, Dict, Optional

from transformers import TrainerCallback

from .._client import Client
from .._run import Run
from ._common import RunSource, guarded, numeric, safe_params


class RunlogCallback(TrainerCallback):  # type: ignore[misc]
    def __init__(
        self,
        run: Optional[Run] = None,
        *,
        experiment: Optional[str] = None,
        client: Optional[Client] = None,
        **run_options: Any,
    ) -> None:
        self._source = RunSource(run, client, experiment, run_options)

    @property
    def run(self) -> Optional[Run]:
        return self._source.run

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        run = self._source.open()
        params: Dict[str, Any] = {"args": {k: v for k, v in args.to_dict().items() if v is not None}}
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            params["model"] = {k: v for k, v in config.to_dict().items() if isinstance(v, (int, float, str, bool))}
        if model is not None and hasattr(model, "num_parameters"):
            params["model.parameters"] = int(model.num_parameters())
        guarded(lambda: run.log_params(safe_params(params)), "logging the training arguments")

    def on_log(self, args: Any, state: Any, control: Any, logs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        if self.run is None or not state.is_world_process_zero or not logs:
            return
        renamed = {(k if "/" in k or k.startswith("eval_") else f"train/{k}"): v for k, v in logs.items()}
        renamed = {(f"eval/{k[5:]}" if k.startswith("eval_") else k): v for k, v in renamed.items()}
        scalars = numeric(renamed)
        if scalars:
            run, step = self.run, int(state.global_step)
            guarded(lambda: run.log_at(scalars, step), "logging metrics")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self._source.end("finish")
