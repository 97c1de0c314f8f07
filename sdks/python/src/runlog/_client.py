"""The client: its options, runs' creation, and reads. Sending is its Outbox's (_outbox.py)."""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Optional, Sequence

from . import _lifecycle
from ._checks import bounded_seeds, check_id, check_name, check_run_name, flatten
from ._context import capture_context as capture_process_context
from ._history import HistoryPoint, export_points
from ._ids import uuid7
from ._operation import Operation
from ._outbox import Outbox
from ._transport import DeadlinePassed, Transport
from ._worker import resolve_worker

if TYPE_CHECKING:
    from ._run import Run

logger = logging.getLogger("runlog")
DEFAULT_URL = "http://127.0.0.1:8080"
_UNSET: Any = object()


class Client(Outbox):
    """A connection to a Runlog server, with background senders. Most scripts use the module's default client
    through `runlog.start_run`; make one to log to several servers, or to tune batching and backpressure.

    Backpressure: at most `max_queued_points` points wait (buffered or in requests not yet answered) across runs.
    When that many wait, `log` waits up to `max_block_seconds` (default 0: never) for room, then drops the points
    it was given and counts them: a warning once a minute while it lasts, and the count set on the run as the tag
    `runlog.sdk.dropped_points` when it ends. A training loop is never blocked unless asked, and memory is bounded.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        token: Optional[str] = None,
        workspace: Optional[str] = None,
        read_url: Optional[str] = None,
        worker: Optional[str] = _UNSET,
        flush_interval: float = 0.25,
        flush_every: int = 10_000,
        max_queued_points: int = 1_000_000,
        max_queued_bytes: int = 256 * 1024 * 1024,
        max_block_seconds: float = 0.0,
        senders: int = 2,
        heartbeat_interval: float = 30.0,
        compress: bool = True,
        retry_base_delay: float = 0.1,
        retry_max_delay: float = 5.0,
        request_timeout: float = 120.0,
        exit_timeout: float = 60.0,
        flush_on_exit: bool = True,
        on_error: Optional[Callable[[Exception], None]] = None,
    ) -> None:
        base = (url or os.environ.get("RUNLOG_URL") or DEFAULT_URL).rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL, got {base!r}")
        token = token if token is not None else (os.environ.get("RUNLOG_TOKEN") or None)
        if token is not None and not (token.isascii() and token.isprintable() and " " not in token and token):
            raise ValueError("token (or RUNLOG_TOKEN) must be printable ASCII without spaces")
        workspace = workspace if workspace is not None else (os.environ.get("RUNLOG_WORKSPACE") or None)
        if flush_every < 1 or max_queued_points < 1 or senders < 1:
            raise ValueError("flush_every, max_queued_points and senders must be at least 1")
        self.url = base
        self.read_url = (read_url or base).rstrip("/")
        self.worker = resolve_worker(None if worker is _UNSET else worker, explicit=worker is not _UNSET)
        headers: Dict[str, str] = {"user-agent": "runlog-python/0.1.0"}
        if token is not None:
            headers["authorization"] = f"Bearer {token}"
        if workspace is not None:
            headers["x-runlog-workspace"] = workspace
        self._headers = headers
        self._transport = Transport(base, headers, retry_base_delay, retry_max_delay, request_timeout)
        self.flush_interval = flush_interval
        self.flush_every = flush_every
        self.max_queued_points = max_queued_points
        self.max_queued_bytes = max_queued_bytes
        self.max_block_seconds = max_block_seconds
        self.heartbeat_interval = heartbeat_interval
        self.exit_timeout = exit_timeout
        self._senders = senders
        self._compress = compress
        self._on_error = on_error
        self._reset_state()
        _lifecycle.register(self, flush_on_exit)

    # --- runs -------------------------------------------------------------------------------------------------

    def start_run(
        self,
        experiment: Optional[str] = None,
        *,
        experiment_id: Optional[str] = None,
        name: Optional[str] = None,
        run_id: Optional[str] = None,
        params: Optional[Dict[str, Any]] = None,
        tags: Optional[Dict[str, str]] = None,
        seeds: Optional[Dict[str, Any]] = None,
        sweep_id: Optional[str] = None,
        parent_run_id: Optional[str] = None,
        capture_context: bool = True,
        system_metrics: Any = False,
        start_timeout: Optional[float] = 30.0,
    ) -> "Run":
        """A new run in `experiment` (the workspace's experiment of that name, made if there is none; "default"
        when absent). Use it as a context manager to finish or fail it.

        Creation is sent at once: a refusal (a bad name, a token without the right) raises RunlogRequestError here.
        When the server does not answer within `start_timeout` seconds (None: wait), the run is returned anyway and
        made in the background before anything else of it is sent, with the same event ids (so once)."""
        from ._run import Run

        experiment_name = check_name(experiment or "default", "experiment")
        for value, field in ((experiment_id, "experiment_id"), (run_id, "run_id"), (sweep_id, "sweep_id")):
            if value is not None:
                check_id(value, field)
        if parent_run_id is not None:
            check_id(parent_run_id, "parent_run_id")
        context: Optional[Dict[str, Any]] = None
        if capture_context:
            context = dict(_lifecycle.process_context(capture_context_fn=capture_process_context))
        if seeds:
            context = {**(context or {}), "seeds": bounded_seeds(seeds)}
        event_id = uuid7()
        body: Dict[str, Any] = {"runId": run_id or event_id}
        if name is not None:
            body["name"] = check_run_name(name)
        for field, value in (("sweepId", sweep_id), ("parentRunId", parent_run_id)):
            if value is not None:
                body[field] = value
        if context is not None:
            body["context"] = context
        creation = _RunCreation(experiment_name, experiment_id, body, event_id)
        deadline = None if start_timeout is None else time.monotonic() + start_timeout
        try:
            created = creation.send(self._transport, deadline)
        except DeadlinePassed:
            # The server is down or overloaded: training goes on, the run is made first thing when it answers.
            logger.warning(
                "runlog: %s did not answer within %.0f s; run %s is created in the background",
                self.url,
                start_timeout,
                body["runId"],
            )
            created = None
        run = Run(self, str(created["runId"]) if created else str(body["runId"]), owned=True)
        if created is None:
            self.enqueue(run, Operation("POST", "/api/v1/runs", custom=creation.send))

        if params:
            run.log_params(flatten(params))
        if tags:
            run.set_tags(tags)
        if system_metrics:
            interval = 10.0 if system_metrics is True else float(system_metrics)
            run.sample_system_metrics(interval)
        _lifecycle.watch_process_end()
        return run

    def attach_run(self, run_id: str) -> "Run":
        """A run another process of the same job started (its id handed over): this process logs into it under its
        own worker label. Nothing is sent until it logs; the process that started the run ends it."""
        from ._run import Run

        run = Run(self, check_id(run_id, "run_id"), owned=False)
        _lifecycle.watch_process_end()
        return run

    # --- reads --------------------------------------------------------------------------------------------------

    def export_metrics(
        self,
        run_ids: Sequence[str],
        keys: Optional[Sequence[str]] = None,
        *,
        from_step: Optional[int] = None,
        to_step: Optional[int] = None,
        page_size: Optional[int] = None,
    ) -> Iterator[HistoryPoint]:
        """Every stored point of the runs and keys, page by page through the CSV export, as it is iterated."""
        request: Dict[str, Any] = {"runIds": list(run_ids)}
        if keys is not None:
            request["keys"] = list(keys)
        if from_step is not None:
            request["fromStep"] = from_step
        if to_step is not None:
            request["toStep"] = to_step
        if page_size is not None:
            request["limit"] = page_size
        reader = Transport(self.read_url, self._headers, 0.2, 5.0, self._transport.timeout)
        return export_points(reader, request)


class _RunCreation:
    """The experiment's get-or-create, then the run's creation, each with an event id fixed here: sent at once, or
    later by a sender when the server did not answer in time, they make one experiment and one run."""

    def __init__(
        self, experiment: Optional[str], experiment_id: Optional[str], run_body: Dict[str, Any], event_id: str
    ) -> None:
        self._experiment = Operation(
            "POST", "/api/v1/experiments", body={"name": experiment or "default", "getOrCreate": True}
        )
        self._experiment_id = experiment_id
        self._run_body = run_body
        self._run_event_id = event_id

    def send(self, transport: Transport, deadline: Optional[float]) -> Any:
        if self._experiment_id is None:
            answer = transport.send(self._experiment.request(False), deadline=deadline)
            self._experiment_id = str(answer["experimentId"])
        body = {**self._run_body, "experimentId": self._experiment_id}
        return transport.send(
            Operation("POST", "/api/v1/runs", body=body, event_id=self._run_event_id).request(False), deadline=deadline
        )
