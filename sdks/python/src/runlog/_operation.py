"""What a run queues for its client's senders: one request each, sent in the order made."""

from __future__ import annotations

import json
import zlib
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

from ._ids import uuid7
from ._transport import Request, Transport
from ._values import Number, wire_values

#: One key's points of a batch: steps, values, timestamps (parallel lists).
Series = Tuple[str, List[int], List[Number], List[int]]
#: What the server takes in one request (ingest's limits).
MAX_SERIES_PER_REQUEST = 10_000
MAX_POINTS_PER_REQUEST = 250_000


@dataclass(eq=False)
class Operation:
    method: str
    path: str
    body: Optional[Dict[str, Any]] = None
    #: Metric columns, encoded (and compressed) on the sender's thread, once: a retry sends the same bytes.
    series: Optional[List[Series]] = None
    worker: Optional[str] = None
    file: Optional[str] = None
    raw: Optional[bytes] = None
    content_type: str = "application/json"
    points: int = 0
    #: Bytes held in memory until sent (an artifact or media item given as bytes).
    size: int = 0
    #: A heartbeat: sent once, never retried, its failure ignored.
    once: bool = False
    result: Optional["Future[Any]"] = None
    #: Sent by calling it with the transport (and no deadline) instead of as one request: the run's creation.
    custom: Optional[Callable[[Transport, Optional[float]], Any]] = None
    event_id: str = field(default_factory=uuid7)
    _encoded: Optional[Request] = None

    def request(self, compress: bool) -> Request:
        if self._encoded is None:
            self._encoded = self._encode(compress)
        return self._encoded

    def _encode(self, compress: bool) -> Request:
        headers = {"content-type": self.content_type}
        if self.file is not None:
            path = self.file
            return Request(self.method, self.path, lambda: open(path, "rb"), headers)
        if self.raw is not None:
            return Request(self.method, self.path, self.raw, headers)
        body: Dict[str, Any]
        if self.series is not None:
            body = {"eventId": self.event_id}
            if self.worker is not None:
                body["worker"] = self.worker
            body["metrics"] = [
                {"key": key, "steps": steps, "values": wire_values(values), "timestamps": stamps}
                for key, steps, values, stamps in self.series
            ]
        else:
            body = {"eventId": self.event_id, **(self.body or {})}
        data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
        if compress and self.series is not None:
            packer = zlib.compressobj(1, zlib.DEFLATED, 31)
            data = packer.compress(data) + packer.flush()
            headers["content-encoding"] = "gzip"
        return Request(self.method, self.path, data, headers)


def metric_operations(path: str, worker: Optional[str], series: List[Series]) -> List[Operation]:
    """The batch as requests the server takes: at most 10,000 keys and 250,000 points each, one event id each."""
    operations: List[Operation] = []
    chunk: List[Series] = []
    points = 0

    def close_chunk() -> None:
        nonlocal chunk, points
        if chunk:
            operations.append(Operation("POST", path, series=chunk, worker=worker, points=points))
        chunk, points = [], 0

    for key, steps, values, stamps in series:
        start = 0
        while start < len(steps):
            room = MAX_POINTS_PER_REQUEST - points
            end = min(len(steps), start + room)
            part = (
                (key, steps[start:end], values[start:end], stamps[start:end])
                if start or end < len(steps)
                else (
                    key,
                    steps,
                    values,
                    stamps,
                )
            )
            chunk.append(part)
            points += end - start
            start = end
            if points >= MAX_POINTS_PER_REQUEST or len(chunk) >= MAX_SERIES_PER_REQUEST:
                close_chunk()
    close_chunk()
    return operations
