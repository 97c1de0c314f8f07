"""One request to the server, retried with the same body (so the same event id, which the server appends once) on
connection errors, 408, 429 and 5xx, with exponential backoff that waits at least a `Retry-After`."""

from __future__ import annotations

import email.utils
import json
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Dict, Optional, Union

import urllib3

#: A server asking for longer than this is waited for this long, then asked again.
MAX_RETRY_AFTER_SECONDS = 300.0


class RunlogRequestError(Exception):
    """A request the server refused for good (a 4xx other than 408 and 429): it is not retried."""

    def __init__(self, status: int, body: str, path: str) -> None:
        self.status = status
        self.body = body
        self.path = path
        message = body
        try:
            parsed = json.loads(body)
            if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
                message = parsed["message"]
        except ValueError:
            pass
        super().__init__(f"{path} answered {status}: {message[:2000]}")


class TransportClosed(Exception):
    """The client stopped retrying (its exit deadline passed) while a request had not landed."""


class LocalFileError(Exception):
    """A file to upload could not be opened (removed, rotated, unreadable): the upload fails, not retried."""


class DeadlinePassed(Exception):
    """A request given a deadline had not landed by then (the server did not answer, or answered 5xx)."""


@dataclass
class Request:
    method: str
    path: str
    #: JSON text or bytes already made, or a function that opens the body (a file, opened again on every attempt).
    body: Union[bytes, Callable[[], BinaryIO], None]
    headers: Dict[str, str] = field(default_factory=dict)


def retry_after_seconds(value: Optional[str], now: Optional[float] = None) -> Optional[float]:
    """Seconds a `Retry-After` asks for (delta-seconds or an HTTP-date), capped; None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        at = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if at is None or at.tzinfo is None:
        return None
    wait = at.timestamp() - (time.time() if now is None else now)
    return min(max(0.0, wait), MAX_RETRY_AFTER_SECONDS)


def retry_delay(backoff: float, retry_after: Optional[str]) -> float:
    jittered = backoff * (0.5 + random.random() / 2)
    asked = retry_after_seconds(retry_after)
    if asked is None:
        return jittered
    return max(jittered, asked + asked * 0.1 * random.random())


class Transport:
    def __init__(
        self,
        base_url: str,
        headers: Dict[str, str],
        retry_base_delay: float,
        retry_max_delay: float,
        timeout: float,
    ) -> None:
        self.base_url = base_url
        self.headers = headers
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.timeout = timeout
        #: Set when the client gives up waiting (exit deadline): retries stop instead of sleeping.
        self.stopping = threading.Event()
        self._default_timeout = urllib3.Timeout(connect=min(10.0, timeout), read=timeout)
        self._pool = self._new_pool()

    def _new_pool(self) -> urllib3.PoolManager:
        return urllib3.PoolManager(
            num_pools=4,
            maxsize=8,
            retries=False,
            timeout=self._default_timeout,
            blocksize=1 << 16,
        )

    def after_fork(self) -> None:
        """The parent's sockets are not this process's to use: a child starts with a pool of its own."""
        self._pool = self._new_pool()
        self.stopping = threading.Event()

    def send(self, request: Request, once: bool = False, deadline: Optional[float] = None) -> Any:
        """The answer's JSON; RunlogRequestError for a refusal; retried until it lands or the client stops (or the
        monotonic `deadline` passes: DeadlinePassed)."""
        headers = {**self.headers, **request.headers}
        url = f"{self.base_url}{request.path}"
        for attempt in range(1_000_000):
            timeout = None
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DeadlinePassed(f"{request.path} had not landed in time")
                # No attempt outlives the deadline: a server that takes the connection and never answers included.
                timeout = urllib3.Timeout(connect=min(10.0, left), read=min(self.timeout, left))
            status, text, retry_after = self._attempt(request, url, headers, timeout)
            if 200 <= status < 300:
                try:
                    return json.loads(text) if text else {}
                except ValueError:
                    return {}
            if once:
                return {}
            if not (status == 0 or status == 408 or status == 429 or status >= 500):
                raise RunlogRequestError(status, text, request.path)
            if self.stopping.is_set():
                raise TransportClosed(
                    f"{request.path} had not landed when the client stopped ({status or 'no answer'})"
                )
            backoff = min(self.retry_base_delay * 2 ** min(attempt, 30), self.retry_max_delay)
            delay = retry_delay(backoff, retry_after)
            if deadline is not None and time.monotonic() + delay > deadline:
                raise DeadlinePassed(f"{request.path} had not landed in time ({status or 'no answer'})")
            if self.stopping.wait(delay):
                raise TransportClosed(
                    f"{request.path} had not landed when the client stopped ({status or 'no answer'})"
                )
        raise AssertionError("unreachable")

    def _attempt(
        self, request: Request, url: str, headers: Dict[str, str], timeout: Optional[urllib3.Timeout]
    ) -> tuple[int, str, Optional[str]]:
        opened: Optional[BinaryIO] = None
        body: Union[bytes, BinaryIO, None]
        if callable(request.body):
            try:
                body = opened = request.body()
                # Taken at each attempt: a file rewritten between two attempts is sent as it is now, whole.
                headers = {**headers, "content-length": str(os.fstat(opened.fileno()).st_size)}
            except OSError as error:
                # The local file is gone or unreadable: no retry can help, and the run's queue must move on.
                raise LocalFileError(f"{request.path}: {error}") from None
        else:
            body = request.body
        try:
            response = self._pool.request(
                request.method,
                url,
                body=body,
                headers=headers,
                preload_content=True,
                redirect=False,
                timeout=timeout if timeout is not None else self._default_timeout,
            )
            text = response.data.decode("utf-8", "replace")
            return response.status, text, response.headers.get("retry-after")
        except (urllib3.exceptions.HTTPError, OSError):
            # No answer: the request may or may not have landed; the same event id makes a retry safe.
            return 0, "", None
        finally:
            if opened is not None:
                opened.close()
