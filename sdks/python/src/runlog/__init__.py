"""Runlog's Python SDK.

    import runlog

    with runlog.start_run(experiment="mnist", params={"lr": 1e-3}, seeds={"torch": 42}) as run:
        for step in range(1000):
            run.log({"loss": 1 / (1 + step)}, step=step)

`start_run` and `attach_run` use a client made on first use from RUNLOG_URL (default http://127.0.0.1:8080),
RUNLOG_TOKEN and RUNLOG_WORKSPACE; `runlog.init(...)` makes it with options, or make a `runlog.Client` of your own.
"""

from __future__ import annotations

import threading
from typing import Any, Optional

from ._artifacts import QueueFullError
from ._checks import flatten
from ._client import Client
from ._context import capture_context, file_digest
from ._history import HistoryPoint
from ._media import encode_png, histogram_of
from ._run import DROPPED_TAG, DROPPED_UPLOADS_TAG, Run, RunEndedError
from ._transport import LocalFileError, RunlogRequestError, TransportClosed

__all__ = [
    "Client",
    "DROPPED_TAG",
    "DROPPED_UPLOADS_TAG",
    "QueueFullError",
    "HistoryPoint",
    "LocalFileError",
    "Run",
    "RunEndedError",
    "RunlogRequestError",
    "TransportClosed",
    "attach_run",
    "capture_context",
    "encode_png",
    "file_digest",
    "flatten",
    "flush",
    "histogram_of",
    "init",
    "start_run",
]
__version__ = "0.1.0"

_default: Optional[Client] = None
_default_lock = threading.Lock()


def init(url: Optional[str] = None, **options: Any) -> Client:
    """Makes the default client with these options (see `Client`); the previous one is flushed and closed."""
    global _default
    with _default_lock:
        previous, _default = _default, Client(url, **options)
    if previous is not None:
        previous.close()
    return _default


def client() -> Client:
    global _default
    with _default_lock:
        if _default is None:
            _default = Client()
        return _default


def start_run(experiment: Optional[str] = None, **options: Any) -> Run:
    """A new run on the default client: see `Client.start_run`."""
    return client().start_run(experiment, **options)


def attach_run(run_id: str) -> Run:
    """A run another process of the job started, on the default client: see `Client.attach_run`."""
    return client().attach_run(run_id)


def flush(timeout: Optional[float] = None) -> bool:
    """Sends everything the default client holds and waits for it; False when `timeout` passed first."""
    return client().flush(timeout) if _default is not None else True
