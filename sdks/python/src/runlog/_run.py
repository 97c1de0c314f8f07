"""A run: what training code calls. `log` only appends to per-key lists under the client's lock; every other call
queues an operation that the client's senders send in order, so `finish` lands after every point logged before."""

from __future__ import annotations

import logging
import math
import time
import traceback
from collections import deque
from concurrent.futures import Future
from types import TracebackType
from typing import TYPE_CHECKING, Any, Deque, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Type

from . import _lifecycle
from ._artifacts import ArtifactsMixin
from ._checks import check_key_of, checked_map, clean_text, flatten, input_entry
from ._history import HistoryPoint
from ._media import MediaMixin
from ._operation import Operation, Series, metric_operations
from ._values import Number, check_metric_key, check_step, metric_values

if TYPE_CHECKING:
    from ._client import Client

DROPPED_TAG = "runlog.sdk.dropped_points"
DROPPED_UPLOADS_TAG = "runlog.sdk.dropped_uploads"
logger = logging.getLogger("runlog")
#: The server's last storable millisecond, 2299-12-31T23:59:59.999Z (libs/events/src/storable.ts).
MAX_STORABLE_MILLIS = 10413791999999
_Column = List[List[Any]]


class RunEndedError(RuntimeError):
    """Logging to a run that has finished, failed or been killed: the points would never be sent."""


class Run(ArtifactsMixin, MediaMixin):
    def __init__(self, client: "Client", run_id: str, owned: bool) -> None:
        self.id = run_id
        self.owned = owned
        self.ended = False
        self._client = client
        self._keys: set[str] = set()
        self._columns: Dict[str, _Column] = {}
        self._buffered = 0
        self._next_step = 0
        self.dropped_points = 0
        self.dropped_uploads = 0
        self.operations: Deque[Operation] = deque()
        self.in_flight = False
        self.scheduled = False
        self.last_activity = time.monotonic()
        self._metrics_path = f"/api/v1/runs/{run_id}/metrics"
        self._sampler: Optional[Any] = None
        client.adopt(self)
        client.ensure_senders()

    def __repr__(self) -> str:
        return f"Run({self.id!r})"

    # --- the hot path -------------------------------------------------------------------------------------------

    def log(self, metrics: Mapping[str, Any], step: Optional[int] = None, *, timestamp: Optional[float] = None) -> None:
        """Points of several keys at one step (default: the step after the last one logged). Returns at once.

        Values: Python floats and ints, numpy scalars and 0-d arrays, one-element torch/JAX tensors; NaN and ±inf
        are kept. A value that is not a number or a malformed key raises here, naming the key, and nothing of the
        call is kept. `timestamp`: seconds since the epoch (default: now)."""
        if self.ended:
            raise RunEndedError(f"run {self.id} has ended: nothing more can be logged to it")
        if step is None:
            step = self._next_step
        elif type(step) is not int or not -9007199254740991 <= step <= 9007199254740991:
            step = check_step(step)
        stamp = time.time_ns() // 1_000_000 if timestamp is None else _millis(timestamp)
        known = self._keys
        values: Mapping[str, Any] = metrics
        for key, value in metrics.items():
            kind = type(value)
            if (kind is not float and kind is not int) or key not in known:
                values = self._checked(metrics)
                break
        self._next_step = step + 1
        self._append(values, step, stamp, True)

    def log_at(self, metrics: Mapping[str, Any], step: int) -> None:
        """Points at a step of their own, leaving the run's running step alone (system metrics and the framework
        hooks log with it). Nothing happens once the run has ended."""
        self._append(self._checked(metrics), check_step(step), time.time_ns() // 1_000_000, False)

    def _append(self, values: Mapping[str, Any], step: int, stamp: int, strict: bool) -> None:
        count = len(values)
        client = self._client
        with client._lock:
            # Checked again under the lock: a point appended while `finish` was queued would land after it (409).
            if self.ended:
                if strict:
                    raise RunEndedError(f"run {self.id} has ended: nothing more can be logged to it")
                return
            if not client._threads:
                try:
                    client.start_senders_locked()  # a forked child's first point starts its senders and their timer
                except RuntimeError:
                    pass  # at interpreter shutdown no thread starts: the exit flush sends on its own thread
            if client.queued_points + count > client.max_queued_points and client.queued_points > 0:
                if client.max_block_seconds <= 0 or not client.wait_for_room_locked(count, client.max_block_seconds):
                    self.dropped_points += count
                    client.note_dropped(count)
                    return
                if self.ended:  # finished by another thread while this one waited (the wait lets go of the lock)
                    if strict:
                        raise RunEndedError(f"run {self.id} has ended: nothing more can be logged to it")
                    return
            columns = self._columns
            for key, value in values.items():
                column = columns.get(key)
                if column is None:
                    column = columns[key] = [[], [], []]
                column[0].append(step)
                column[1].append(value)
                column[2].append(stamp)
            self._buffered += count
            client.queued_points += count
            if self._buffered >= client.flush_every:
                self.cut_locked()

    def _checked(self, metrics: Mapping[str, Any]) -> Dict[str, Number]:
        for key in metrics:
            if key not in self._keys:
                check_metric_key(key)
        values = metric_values(metrics)
        self._keys.update(values)
        return values

    def cut_locked(self) -> None:
        """Buffered points become requests (the lock is held): cheap, no encoding here."""
        if self._buffered == 0:
            return
        series: List[Series] = []
        points = 0
        for key, column in self._columns.items():
            steps, values, stamps = column
            if not steps:
                continue
            # A signal raised between two appends of one call leaves the lists uneven: its point is dropped.
            length = min(len(steps), len(values), len(stamps))
            del steps[length:], values[length:], stamps[length:]
            series.append((key, steps, values, stamps))
            points += length
            self._columns[key] = [[], [], []]
        self._client.queued_points += points - self._buffered
        self._buffered = 0
        for operation in metric_operations(self._metrics_path, self._client.worker, series):
            self._client.enqueue_locked(self, operation)

    def wants_heartbeat(self, now: float) -> bool:
        return (
            self.owned
            and not self.ended
            and not self.in_flight
            and not self.operations
            and (now - self.last_activity >= self._client.heartbeat_interval)
        )

    # --- everything else is queued --------------------------------------------------------------------------------

    def _queue(self, path: str, body: Optional[Dict[str, Any]] = None, **fields: Any) -> "Future[Any]":
        result: "Future[Any]" = Future()
        operation = Operation(
            fields.pop("method", "POST"), f"/api/v1/runs/{self.id}/{path}", body=body, result=result, **fields
        )
        with self._client._lock:
            self.cut_locked()
            self._client.enqueue_locked(self, operation)
        return result

    def log_params(self, params: Mapping[str, Any]) -> "Future[Any]":
        """Hyperparameters; nested dicts become dotted keys (`optimizer.lr`). Logged once per key. The Future is
        the last request's (more than 1,000 keys go in several)."""
        return self._queue_each("params", "params", checked_map(flatten(params), "param", 6000))

    def set_tags(self, tags: Mapping[str, Any]) -> "Future[Any]":
        values = {key: clean_text(str(value)) for key, value in tags.items()}
        return self._queue_each("tags", "tags", checked_map(values, "tag", 8000))

    def delete_tags(self, keys: Iterable[str]) -> "Future[Any]":
        names = [check_key_of(key, "tag") for key in keys]
        chunks = [names[at : at + 1000] for at in range(0, len(names), 1000)]
        return self._queue_each("tags/delete", "keys", chunks)

    def _queue_each(self, path: str, field: str, chunks: Sequence[Any]) -> "Future[Any]":
        result: "Future[Any]" = Future()
        result.set_result({})
        for chunk in chunks:
            result = self._queue(path, {field: chunk})
        return result

    def set_note(self, note: str) -> "Future[Any]":
        """Free text about the run (markdown); replaces the previous note; may be set after the run ended."""
        return self._queue("note", {"note": check_text_note(note)})

    def log_input(
        self,
        name: str,
        digest: str,
        *,
        source: Optional[str] = None,
        split: Optional[str] = None,
        rows: Optional[int] = None,
        schema_digest: Optional[str] = None,
        tags: Optional[Mapping[str, str]] = None,
    ) -> "Future[Any]":
        """A dataset the run reads (lineage): `digest` names its exact content (see `runlog.file_digest`)."""
        entry = input_entry(name, digest, source, split, rows, schema_digest, tags)
        return self._queue("inputs", {"inputs": [entry]})

    def current_step(self) -> int:
        """The last step logged (0 before any): where media go when no step is given."""
        return max(0, self._next_step - 1)

    # --- ending -------------------------------------------------------------------------------------------------

    def finish(self, timeout: Optional[float] = None) -> bool:
        """Ends the run as finished once everything before has landed; waits for it (up to `timeout`, default the
        client's `exit_timeout`). False when that passed first: the rest is still sent in the background."""
        return self._end("finish", {}, timeout)

    def fail(
        self, error: Optional[BaseException] = None, *, reason: Optional[str] = None, timeout: Optional[float] = None
    ) -> bool:
        """Ends the run as failed, with the exception's type, message and traceback."""
        if error is not None:
            text = reason or f"{type(error).__name__}: {error}".rstrip(": ") or "failed"
            trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
            body: Dict[str, Any] = {"reason": clean_text(text[:4000]), "stackTrace": clean_text(trace[-65536:])}
        else:
            body = {"reason": clean_text((reason or "failed")[:4000])}
        return self._end("fail", body, timeout)

    def kill(self, reason: Optional[str] = None, timeout: Optional[float] = None) -> bool:
        """Ends the run as killed (stopped from outside: Ctrl-C, SIGTERM, a scheduler)."""
        return self._end("kill", {"reason": clean_text(reason[:8000])} if reason else {}, timeout)

    def _end(self, path: str, body: Dict[str, Any], timeout: Optional[float]) -> bool:
        with self._client._lock:
            if self.ended:
                raise RunEndedError(f"run {self.id} has already ended")
            self.ended = True
        if self._sampler is not None:
            self._sampler.stop()
        client = self._client
        dropped = {DROPPED_TAG: self.dropped_points, DROPPED_UPLOADS_TAG: self.dropped_uploads}
        if any(dropped.values()):
            self._queue("tags", {"tags": {key: str(count) for key, count in dropped.items() if count}})
        self._queue(path, body)
        deadline = time.monotonic() + _lifecycle.exit_budget(client.exit_timeout if timeout is None else timeout)
        with client._lock:
            done = client.wait_for_run_locked(self, deadline)
        if done:
            client.forget(self)
        return done

    def end_at_exit(self, uncaught: Optional[BaseException]) -> None:
        """A run left open when the process ends: failed with the uncaught exception, else finished. Not waited
        for here: the exit flush that follows waits for every run."""
        if uncaught is None:
            self._end("finish", {}, 0)
        elif isinstance(uncaught, (KeyboardInterrupt, _lifecycle.Terminated)):
            self._end("kill", {"reason": "SIGTERM" if isinstance(uncaught, SystemExit) else "KeyboardInterrupt"}, 0)
        else:
            self.fail(uncaught, timeout=0)

    def __enter__(self) -> "Run":
        return self

    def __exit__(
        self, kind: Optional[Type[BaseException]], error: Optional[BaseException], trace: Optional[TracebackType]
    ) -> None:
        if self.ended:
            return
        if error is None or (
            isinstance(error, SystemExit) and not isinstance(error, _lifecycle.Terminated) and error.code in (None, 0)
        ):
            self.finish()
        elif isinstance(error, KeyboardInterrupt):
            self.kill("KeyboardInterrupt")
        elif isinstance(error, _lifecycle.Terminated):
            self.kill("SIGTERM")
        else:
            self.fail(error)

    # --- reads and the rest -------------------------------------------------------------------------------------

    def history(
        self, keys: Optional[Sequence[str]] = None, *, from_step: Optional[int] = None, to_step: Optional[int] = None
    ) -> Iterator[HistoryPoint]:
        """The run's stored points of `keys` (every key when absent) in (key, step, time, worker) order, page by
        page as iterated. `pandas.DataFrame(run.history(["loss"]))` makes a frame. Points not yet sent or projected
        are not in it: `flush()` first, and allow for the projection's lag."""
        return self._client.export_metrics([self.id], keys, from_step=from_step, to_step=to_step)

    def flush(self, timeout: Optional[float] = None) -> bool:
        return self._client.flush(timeout)

    def sample_system_metrics(self, interval: float) -> None:
        from ._system import SystemSampler

        self._sampler = SystemSampler(self, interval)

    def reset_after_fork(self) -> None:
        self.owned = False
        self._columns = {}
        self._buffered = 0
        self.operations = deque()
        self.in_flight = False
        self.scheduled = False
        self._sampler = None


def _millis(seconds: float) -> int:
    millis = int(seconds * 1000) if math.isfinite(seconds) else -1
    if not 0 <= millis <= MAX_STORABLE_MILLIS:
        raise ValueError(f"timestamp {seconds} must be seconds since the epoch, before the year 2300")
    return millis


def check_text_note(note: str) -> str:
    if not isinstance(note, str) or len(note) > 65536:
        raise ValueError("a note is text of at most 65,536 characters")
    return clean_text(note)
