"""Process-wide hooks: fork safety, the flush at exit and on SIGTERM, the uncaught exception that fails open runs,
and the context captured once per process."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
import time
import weakref
from types import TracebackType
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Tuple, Type

if TYPE_CHECKING:
    from ._client import Client

logger = logging.getLogger("runlog")
_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()
_exit_flush: "weakref.WeakSet[Client]" = weakref.WeakSet()
_context: Optional[Tuple[int, Dict[str, Any]]] = None
_context_lock = threading.Lock()
_uncaught: Optional[BaseException] = None
#: When SIGTERM arrived (monotonic), None before: runs left open at exit are then killed (SystemExit never reaches
#: sys.excepthook), and every wait from then on shares one grace period.
_terminated_at: Optional[float] = None
#: A scheduler's grace period before SIGKILL is often 30 s (Kubernetes, Slurm's KillWait): the points get 20 of it.
DEFAULT_TERM_GRACE_SECONDS = 20.0
_hooks_installed = False
_exit_ran = False


class Terminated(SystemExit):
    """SIGTERM, turned into an exception so that `with` blocks unwind (the run is marked killed) and the exit
    flush runs; the process then exits with 143, as a shell reports a process ended by SIGTERM."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


def register(client: "Client", flush_on_exit: bool) -> None:
    _clients.add(client)
    if flush_on_exit:
        _exit_flush.add(client)
    _install_process_hooks()
    _flush_in_multiprocessing_child()


def _install_process_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_at_exit)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_parent, after_in_child=_after_fork_child)
    try:
        import multiprocessing.util as mp_util

        # A multiprocessing child (a DataLoader worker) leaves through os._exit, past atexit: its finalizers still
        # run. The registry is cleared in a forked child after the fork hooks, so the flush is registered again there.
        mp_util.register_after_fork(_Marker, lambda _: _flush_in_multiprocessing_child(force=True))
    except ImportError:  # pragma: no cover - every CPython has it
        pass


class _MarkerType:
    pass


_Marker = _MarkerType()
_child_finalizer_pid: Optional[int] = None


def _flush_in_multiprocessing_child(force: bool = False) -> None:
    global _child_finalizer_pid
    mp = sys.modules.get("multiprocessing")
    if mp is None or _child_finalizer_pid == os.getpid():
        return
    if not force and mp.parent_process() is None:
        return
    import multiprocessing.util as mp_util

    _child_finalizer_pid = os.getpid()
    mp_util.Finalize(None, _at_exit, exitpriority=100)


def _before_fork() -> None:
    for client in list(_clients):
        client.before_fork()


def _after_fork_parent() -> None:
    for client in list(_clients):
        client.after_fork_in_parent()


def _after_fork_child() -> None:
    global _exit_ran, _child_finalizer_pid, _context_lock
    _exit_ran = False
    _child_finalizer_pid = None
    _context_lock = threading.Lock()  # a thread of the parent may have held it: it is not in the child
    try:
        # The parent's SIGTERM handling is the parent's: a worker process keeps the default (or its launcher's).
        if signal.getsignal(signal.SIGTERM) is _on_sigterm:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
    except (ValueError, OSError):  # pragma: no cover - forked from a thread other than the main one
        pass
    for client in list(_clients):
        client.after_fork_in_child()


def process_context(capture_context_fn: Callable[[], Dict[str, Any]]) -> Dict[str, Any]:
    """Captured once per process (git, the lockfile or `pip freeze` digest, hardware): the commands run at once,
    each with a deadline (2 s; 5 s for `pip freeze`, run only where no lockfile is found)."""
    global _context
    with _context_lock:
        if _context is None or _context[0] != os.getpid():
            _context = (os.getpid(), capture_context_fn())
        return _context[1]


def watch_process_end() -> None:
    """Once a run is open: SIGTERM unwinds like an exception, and an uncaught exception fails the open runs."""
    global _previous_excepthook
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)
        except (ValueError, OSError):  # pragma: no cover - not the main interpreter
            pass
    if _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook


_previous_excepthook: Optional[Callable[..., Any]] = None


def term_grace_seconds() -> float:
    """`RUNLOG_TERM_GRACE_SECONDS`, else 20: how long, in all, a SIGTERM'd process waits for the server."""
    try:
        grace = float(os.environ.get("RUNLOG_TERM_GRACE_SECONDS", DEFAULT_TERM_GRACE_SECONDS))
    except ValueError:
        return DEFAULT_TERM_GRACE_SECONDS
    return grace if grace >= 0 else DEFAULT_TERM_GRACE_SECONDS


def exit_budget(timeout: float) -> float:
    """`timeout`, cut to what is left of the grace period once SIGTERM arrived: ending the run in its `with`
    block and the exit flush share it, so a server that is down never keeps the process past its scheduler's
    SIGKILL (each waiting its own `exit_timeout` would take two minutes)."""
    if _terminated_at is None:
        return timeout
    return max(0.0, min(timeout, _terminated_at + term_grace_seconds() - time.monotonic()))


def _on_sigterm(signum: int, frame: Any) -> None:
    global _terminated_at
    _terminated_at = time.monotonic()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated()


def _excepthook(kind: Type[BaseException], error: BaseException, trace: Optional[TracebackType]) -> None:
    global _uncaught
    _uncaught = error
    hook = _previous_excepthook or sys.__excepthook__
    hook(kind, error, trace)


def _at_exit() -> None:
    global _exit_ran
    if _exit_ran:
        return
    _exit_ran = True
    ended_by = _uncaught if _uncaught is not None else (Terminated() if _terminated_at is not None else None)
    for client in list(_exit_flush):
        try:
            for run in client.open_runs():
                try:
                    run.end_at_exit(ended_by)
                except Exception as error:  # noqa: BLE001 - ended by another thread meanwhile: flush the rest
                    logger.warning("runlog: ending run %s at exit failed: %r", run.id, error)
            waited = exit_budget(client.exit_timeout)
            if not client.flush(waited):
                logger.warning(
                    "runlog: %d points had not reached %s after %.0f s at exit; they are lost",
                    client.pending_points(),
                    client.url,
                    waited,
                )
            client.close(0)
        except Exception as error:  # noqa: BLE001 - an exit hook never raises
            logger.warning("runlog: flushing at exit failed: %r", error)
