from __future__ import annotations

import logging
import weakref
from typing import Any, Callable, Dict, Mapping, Optional

from .._checks import flatten
from .._client import Client
from .._run import Run
from .._values import METRIC_KEY, metric_value

logger = logging.getLogger("runlog")


def numeric(metrics: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """The scalars of a framework's log dict, keyed for Runlog: what is not one number (strings, arrays) is left
    out, and a key the server would refuse is made safe (`acc@1` becomes `acc_1`) or left out."""
    kept: Dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, (bool, str, bytes)) or value is None or not _single(value):
            continue
        try:
            metric_value(key, value)
        except TypeError:
            continue
        name = safe_key(f"{prefix}{key}")
        if name:
            kept[name] = value
    return kept


def _single(value: Any) -> bool:
    if isinstance(value, (int, float)):
        return True
    numel = getattr(value, "numel", None)  # torch: .size is a method giving a shape
    if callable(numel):
        return bool(numel() == 1)
    size = getattr(value, "size", 1)
    return size == 1 if isinstance(size, int) else False


def safe_key(key: str) -> str:
    """A metric key the server takes, or '' when nothing of it is left."""
    if len(key) <= 250 and METRIC_KEY.match(key):
        return key
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-.: /") else "_" for ch in key)
    parts = [part.strip() for part in cleaned.split("/")]
    joined = "/".join(part for part in parts if part not in ("", ".", ".."))[:250].rstrip("/ ")
    while joined and not METRIC_KEY.match(joined):
        joined = joined.rsplit("/", 1)[0] if "/" in joined else ""
    return joined


def safe_params(params: Mapping[str, Any]) -> Dict[str, Any]:
    """A framework's hyperparameters as Runlog takes them: flattened, keys made safe, long values cut to 6,000."""
    kept: Dict[str, Any] = {}
    for key, value in flatten(params).items():
        name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "_-./: ") else "_" for ch in key)[:250]
        if name:
            kept[name] = value[:6000] if isinstance(value, str) else value
    return kept


def guarded(action: Callable[[], Any], what: str) -> None:
    """A hook never stops training: what Runlog refuses is reported on the `runlog` logger."""
    try:
        action()
    except Exception as error:  # noqa: BLE001
        logger.warning("runlog: %s failed: %r", what, error)


class RunSource:
    """The run a hook logs to: the one it was given (logged into and left open), or one it starts when training
    starts. A started run outlives its training, so that the evaluation, test or prediction that follows
    (`trainer.evaluate()`, Lightning's `trainer.test()`) lands in it too; it is finished by the hook's `finish()`,
    when another hook starts a run of its own (the next trial of a sweep run in one process), or at exit. A failed
    or interrupted training ends it at once. Never raises: a server that refuses the run (a bad token, a bad name)
    is reported once and the training goes on without logging."""

    def __init__(
        self, run: Optional[Run], client: Optional[Client], experiment: Optional[str], options: Mapping[str, Any]
    ) -> None:
        self.run = run
        self._given = run
        self._client = client
        self._experiment = experiment
        self._options = dict(options)
        self._refused = False
        self._warned_ended = False

    @property
    def owned(self) -> bool:
        return self._given is None and self.run is not None

    def open(self, again: bool = False) -> Optional[Run]:
        """The run to log to, started when there is none yet (or, `again`, when a new training starts after the
        run ended); None when the server refused to start one. An ended run is returned as it is otherwise: a
        framework reading its logger after a failure must not start a run of its own."""
        if self._given is not None:
            return self._given
        if (self.run is None or (again and self.run.ended)) and not self._refused:
            for other in list(_trained):  # a sweep's earlier trials, whose evaluation is over once the next starts
                if other is not self:
                    other.end("finish", timeout=0)  # sent in order, in the background: the next trial goes on
            try:
                from .. import client as default_client

                self.run = (self._client or default_client()).start_run(self._experiment, **self._options)
            except Exception as error:  # noqa: BLE001 - a hook never stops training
                self._refused = True
                logger.warning("runlog: starting a run failed, this training is not logged: %r", error)
        return self.run

    def training_ended(self) -> None:
        """Training is over; the run it started stays open for what follows, until `finish()` or the next run."""
        if self.owned:
            _trained.add(self)

    def log(self, metrics: Mapping[str, Any], step: int, what: str) -> None:
        run = self.run
        if run is None or not metrics:
            return
        if run.ended:
            if not self._warned_ended:
                self._warned_ended = True
                logger.warning("runlog: run %s has ended; what the hook logs after it is left out", run.id)
            return
        guarded(lambda: run.log_at(metrics, step), what)

    def finish(self, timeout: Optional[float] = None) -> None:
        self.end("finish", timeout=timeout)

    def end(
        self,
        outcome: str = "finish",
        reason: Optional[str] = None,
        error: Optional[BaseException] = None,
        timeout: Optional[float] = None,
    ) -> None:
        """Ends the run it started (never a given one): `finish`, `kill` or `fail` (with the exception, when known),
        waiting up to `timeout` (default the client's `exit_timeout`) for it to land."""
        _trained.discard(self)
        run = self.run
        if run is None or not self.owned or run.ended:
            return
        if outcome == "finish":
            guarded(lambda: run.finish(timeout), "finishing the run")
        elif outcome == "kill":
            guarded(lambda: run.kill(reason, timeout), "ending the run")
        else:
            guarded(lambda: run.fail(error, reason=reason, timeout=timeout), "ending the run")


#: Sources whose training ended and whose run is still open.
_trained: "weakref.WeakSet[RunSource]" = weakref.WeakSet()
