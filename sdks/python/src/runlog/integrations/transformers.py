"""A Hugging Face Transformers callback: `Trainer(..., callbacks=[RunlogCallback(experiment="sst2")])`. Logs what
the Trainer logs (`train/...`, `eval/...`) at its global step, and the training arguments and model config as
params. Only the main process logs.

The run it starts stays open after `train()`, so that the `trainer.evaluate()` that follows (`eval/…`, or `test/…`
with `metric_key_prefix="test"`) lands in it; `callback.finish()` ends it, as does the next trial of
`hyperparameter_search` (a run each), the next hook's run, or the process' exit (failed, with the exception, if
training raised)."""

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
        if getattr(state, "is_hyper_param_search", False):
            self._source.end("finish", timeout=0)  # each trial is a run of its own
        run = self._source.open(again=True)
        if run is not None:
            guarded(lambda: run.log_params(safe_params(self._training_params(args, model))), "logging the arguments")

    @staticmethod
    def _training_params(args: Any, model: Any) -> Dict[str, Any]:
        params: Dict[str, Any] = {"args": {k: v for k, v in args.to_dict().items() if v is not None}}
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            params["model"] = {k: v for k, v in config.to_dict().items() if isinstance(v, (int, float, str, bool))}
        if model is not None and hasattr(model, "num_parameters"):
            params["model.parameters"] = int(model.num_parameters())
        return params

    def on_log(self, args: Any, state: Any, control: Any, logs: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        if self.run is None:
            self._source.open()  # evaluate() or predict() without a train() before it
        renamed = {_metric_key(key): value for key, value in logs.items()}
        self._source.log(numeric(renamed), int(state.global_step), "logging metrics")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self._source.training_ended()

    def finish(self, timeout: Optional[float] = None) -> None:
        """Finishes the run this callback started (never a given one), waiting up to `timeout` for it to land."""
        self._source.finish(timeout)


#: The Trainer's phase prefixes (`eval_loss`; `test_loss` from `evaluate(metric_key_prefix="test")`).
PHASES = ("eval_", "test_")


def _metric_key(key: str) -> str:
    """`eval_loss` becomes `eval/loss`; a key with a `/` of its own stays; the rest is training's: `train/loss`."""
    for prefix in PHASES:
        if key.startswith(prefix):
            return f"{prefix[:-1]}/{key[len(prefix) :]}"
    return key if "/" in key else f"train/{key}"
