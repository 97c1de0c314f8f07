"""Where runs' operations wait, and the sender threads that send them: a run's operations one at a time, in order,
while runs go in parallel; backpressure, flushing, and what a fork leaves to the child.

Concurrency: one lock per client guards every run's buffers and queues. `run.log` holds it for a few list appends;
senders hold it only to take an operation and to account for it afterwards, never while encoding or sending.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, List, Optional, Set

from ._operation import Operation
from ._transport import RunlogRequestError, Transport, TransportClosed

if TYPE_CHECKING:
    from ._run import Run

logger = logging.getLogger("runlog")


class Outbox:
    """The sending half of `Client` (which sets these from its options)."""

    _transport: Transport
    flush_interval: float
    flush_every: int
    max_queued_points: int
    max_queued_bytes: int
    max_block_seconds: float
    heartbeat_interval: float
    exit_timeout: float
    _senders: int
    _compress: bool
    _on_error: Optional[Callable[[Exception], None]]

    def _reset_state(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.queued_points = 0
        self.queued_bytes = 0
        self._ready: Deque["Run"] = deque()
        self._runs: Set["Run"] = set()
        self._threads: List[threading.Thread] = []
        self._in_flight = 0
        self._last_cut = time.monotonic()
        self._dropped_warned_at = -1e9
        self._stopped = False
        self._pid = os.getpid()

    # --- the queue ----------------------------------------------------------------------------------------------

    def adopt(self, run: "Run") -> None:
        with self._lock:
            self._runs.add(run)

    def enqueue_locked(self, run: "Run", operation: Operation) -> None:
        """Queues behind the run's earlier operations; the lock is held."""
        run.operations.append(operation)
        run.last_activity = time.monotonic()
        if not run.in_flight and not run.scheduled:
            run.scheduled = True
            self._ready.append(run)
        self._cond.notify_all()
        if not self._threads:
            try:
                self.start_senders_locked()
            except RuntimeError:
                pass  # at interpreter shutdown no thread starts: flush() then sends on its own thread

    def enqueue(self, run: "Run", operation: Operation) -> None:
        with self._lock:
            self.enqueue_locked(run, operation)

    def ensure_senders(self) -> None:
        with self._lock:
            if not any(thread.is_alive() for thread in self._threads):
                self.start_senders_locked()

    def start_senders_locked(self) -> None:
        """Starts the sender threads (the lock is held); at interpreter shutdown, where no thread can start, the
        exit flush sends on its own thread instead."""
        self._stopped = False
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        for index in range(len(self._threads), self._senders):
            thread = threading.Thread(target=self._send_loop, name=f"runlog-sender-{index}", daemon=True)
            thread.start()  # listed once started: a list that is not empty means a sender is there to send
            self._threads.append(thread)

    def _send_loop(self) -> None:
        try:
            self._send_until_stopped()
        finally:
            with self._lock:  # unlisted, so that the next point starts a sender again
                if threading.current_thread() in self._threads:
                    self._threads.remove(threading.current_thread())

    def _send_until_stopped(self) -> None:
        pid = os.getpid()
        while True:
            with self._lock:
                if pid != self._pid:
                    return  # a thread that came through a fork (it cannot, but never send twice)
                run = self._next_locked()
                if run is None:
                    return
                operation = run.operations.popleft()
                run.in_flight = True
                self._in_flight += 1
            self._perform(run, operation, None)

    def _done(self, run: "Run", operation: Operation) -> None:
        with self._lock:
            run.in_flight = False
            self._in_flight -= 1
            self.queued_points -= operation.points
            self.queued_bytes -= operation.size
            if run.operations and not run.scheduled:
                run.scheduled = True
                self._ready.append(run)
            self._cond.notify_all()

    def _send_inline(self, deadline: Optional[float]) -> None:
        """The exit flush where no sender can start (a forked child at shutdown): sends on the calling thread."""
        while deadline is None or time.monotonic() < deadline:
            with self._lock:
                if not self._ready:
                    return
                run = self._ready.popleft()
                run.scheduled = False
                operation = run.operations.popleft()
                run.in_flight = True
                self._in_flight += 1
            self._perform(run, operation, deadline)

    def _perform(self, run: "Run", operation: Operation, deadline: Optional[float]) -> None:
        """Sends one operation (retrying until `deadline`, or for good when None) and settles it; never raises."""
        answer: Any = None
        error: Optional[BaseException] = None
        try:
            if operation.custom is not None:  # the deferred run creation: it must go first, as itself
                answer = operation.custom(self._transport, deadline)
            else:
                answer = self._transport.send(operation.request(self._compress), once=operation.once, deadline=deadline)
        except BaseException as failure:  # noqa: BLE001 - reported, never raised in a sender thread
            error = failure
        self._done(run, operation)
        self._settle(operation, answer, error)

    def _next_locked(self) -> Optional["Run"]:
        while True:
            now = time.monotonic()
            if now - self._last_cut >= self.flush_interval:
                self._last_cut = now
                for run in list(self._runs):
                    run.cut_locked()
                    if run.wants_heartbeat(now) and not self._stopped:
                        self.enqueue_locked(
                            run, Operation("POST", f"/api/v1/runs/{run.id}/heartbeat", body={}, once=True)
                        )
            if self._ready:
                run = self._ready.popleft()
                run.scheduled = False
                return run
            if self._stopped:
                return None
            self._cond.wait(self.flush_interval)

    def _settle(self, operation: Operation, answer: Any, error: Optional[BaseException]) -> None:
        """Never raises: a sender thread that died would leave its runs' operations unsent."""
        future = operation.result
        if future is not None and not future.cancelled():
            try:
                if error is None:
                    future.set_result(answer)
                else:
                    future.set_exception(error)
            except Exception:  # noqa: BLE001 - settled or cancelled meanwhile by the caller
                pass
        if error is not None and not operation.once:
            self.report(error if isinstance(error, Exception) else RuntimeError(str(error)))

    def report(self, error: Exception) -> None:
        """A request refused for good (or not sent by the exit deadline): `on_error`, else a warning; never raises."""
        try:
            if self._on_error is not None:
                self._on_error(error)
                return
        except Exception as failure:  # noqa: BLE001 - the user's callback must not stop a sender
            logger.warning("runlog: on_error raised %r", failure)
        if isinstance(error, (RunlogRequestError, TransportClosed)):
            logger.warning("runlog: %s", error)
        else:
            logger.warning("runlog: a request failed: %r", error)

    def note_dropped(self, points: int) -> None:
        """The lock is held. Warned once a minute while points are being dropped."""
        now = time.monotonic()
        if now - self._dropped_warned_at >= 60.0:
            self._dropped_warned_at = now
            logger.warning(
                "runlog: %d points wait to be sent (max_queued_points); dropping points until the server catches up",
                self.queued_points,
            )

    def forget(self, run: "Run") -> None:
        with self._lock:
            self._runs.discard(run)

    # --- flushing -----------------------------------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Sends everything buffered and waits until it has landed (or was refused for good). False when the
        timeout passed first; the rest is still sent in the background."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            for run in list(self._runs):
                run.cut_locked()
            inline = False
            if self._ready and not any(thread.is_alive() for thread in self._threads):
                try:
                    self.start_senders_locked()
                except RuntimeError:  # "can't create new thread at interpreter shutdown" (3.12+)
                    inline = True
        if inline:
            self._send_inline(deadline)
        with self._lock:
            return self._wait_locked(lambda: not self._ready and self._in_flight == 0, deadline)

    def wait_for_run_locked(self, run: "Run", deadline: Optional[float]) -> bool:
        return self._wait_locked(lambda: not run.operations and not run.in_flight, deadline)

    def _wait_locked(self, done: Callable[[], bool], deadline: Optional[float]) -> bool:
        while not done():
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self._cond.wait(remaining if remaining is not None else 1.0)
        return True

    def wait_for_room_locked(self, points: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        return self._wait_locked(
            lambda: self.queued_points + points <= self.max_queued_points or self.queued_points == 0, deadline
        )

    def close(self, timeout: Optional[float] = None) -> bool:
        """Flushes (waiting up to `timeout`, default `exit_timeout`), then stops the senders. False when something
        had not landed by then: it is dropped."""
        drained = self.flush(self.exit_timeout if timeout is None else timeout)
        with self._lock:
            self._stopped = True
            self._cond.notify_all()
            threads, self._threads = self._threads, []
        if not drained:
            self._transport.stopping.set()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(1.0)
        return drained

    def pending_points(self) -> int:
        with self._lock:
            return self.queued_points

    # --- fork and exit (see _lifecycle) -------------------------------------------------------------------------

    def before_fork(self) -> None:
        self._lock.acquire()

    def after_fork_in_parent(self) -> None:
        self._lock.release()

    def after_fork_in_child(self) -> None:
        """The child starts empty: the parent's points are the parent's to send, its lock and threads are gone."""
        runs = list(self._runs)
        self._reset_state()
        self._transport.after_fork()
        for run in runs:
            # The parent's runs are the parent's to end: a DataLoader worker's exit must not finish them.
            run.reset_after_fork()
            self._runs.add(run)

    def open_runs(self) -> List["Run"]:
        with self._lock:
            return [run for run in self._runs if run.owned and not run.ended]
