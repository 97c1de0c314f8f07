"""Fixtures: a stub HTTP server that records what the SDK sends and answers as told (for the SDK's own retry,
compression and backpressure behaviour), and the real server's URL for the `server` tests."""

from __future__ import annotations

import gzip
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

Answer = Tuple[int, Dict[str, str], bytes]


class Recorded:
    def __init__(self, method: str, path: str, headers: Dict[str, str], body: bytes) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.raw = body
        self.at = time.monotonic()
        #: What the stub answered (set once it has).
        self.status = 0
        self.body = gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body

    def json(self) -> Any:
        return json.loads(self.body)


class Stub:
    """Answers 200 `{"experimentId": "e1"}` / `{"runId": ...}` unless `answer` says otherwise for a request."""

    def __init__(self) -> None:
        self.requests: List[Recorded] = []
        self.answer: Optional[Callable[[Recorded], Optional[Answer]]] = None
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with stub.lock:
                    stub.requests.append(recorded)
                answer = stub.answer(recorded) if stub.answer else None
                if answer is None:
                    answer = (200, {}, json.dumps(default_answer(recorded)).encode())
                status, headers, data = answer
                recorded.status = status
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = do_GET = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of(self, suffix: str) -> List[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.path.endswith(suffix)]


def default_answer(request: Recorded) -> Dict[str, Any]:
    if request.path == "/api/v1/experiments":
        return {"experimentId": "e1", "created": True}
    if request.path == "/api/v1/runs":
        return {"runId": request.json()["runId"]}
    return {"appended": True}


@pytest.fixture
def stub() -> Iterator[Stub]:
    server = Stub()
    yield server
    server.server.shutdown()


@pytest.fixture
def server_url() -> str:
    url = os.environ.get("RUNLOG_URL")
    if not url:
        raise RuntimeError("the server tests need RUNLOG_URL: run them through test/integration/python-sdk.int.spec.ts")
    return url
