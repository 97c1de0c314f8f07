"""Reading points back: the CSV export (`POST /api/v1/metrics/export`), a page at a time, each page's cursor leading
to the next, parsed as it arrives."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from datetime import datetime
from typing import Any, Dict, Iterator, NamedTuple, Optional

import urllib3

from ._transport import RunlogRequestError, Transport, retry_delay

EXPORT_PATH = "/api/v1/metrics/export"
NEXT_CURSOR = "runlog-next-cursor"
ATTEMPTS = 5


class HistoryPoint(NamedTuple):
    run_id: str
    key: str
    step: int
    value: float
    #: Epoch milliseconds.
    timestamp: int
    #: '' for the default worker.
    worker: str


def metric_value(text: str) -> float:
    """ClickHouse writes NaN as `nan` (or `-nan`) and the infinities as `inf` and `-inf`."""
    lower = text.lower()
    if lower.endswith("nan"):
        return math.nan
    if lower in ("inf", "+inf"):
        return math.inf
    if lower == "-inf":
        return -math.inf
    return float(text)


def _millis(text: str) -> int:
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    return (
        int(moment.timestamp() * 1000) if moment.tzinfo else int((moment - datetime(1970, 1, 1)).total_seconds() * 1000)
    )


def export_points(reader: Transport, request: Dict[str, Any]) -> Iterator[HistoryPoint]:
    cursor: Optional[str] = None
    while True:
        body = dict(request, cursor=cursor) if cursor is not None else request
        response = _page(reader, json.dumps(body).encode())
        try:
            cursor = response.headers.get(NEXT_CURSOR)
            response.auto_close = False  # the text wrapper reads on to EOF, which must not close it under itself
            text = io.TextIOWrapper(response, encoding="utf-8", newline="")
            rows = csv.reader(text)
            header = next(rows, None)
            if header is None:
                return
            index = {name: header.index(name) for name in ("run_id", "key", "step", "value", "timestamp")}
            worker = header.index("worker") if "worker" in header else -1
            for row in rows:
                yield HistoryPoint(
                    row[index["run_id"]],
                    row[index["key"]],
                    int(row[index["step"]]),
                    metric_value(row[index["value"]]),
                    _millis(row[index["timestamp"]]),
                    row[worker] if worker >= 0 else "",
                )
        finally:
            response.release_conn()
        if cursor is None:
            return


def _page(reader: Transport, body: bytes) -> Any:
    headers = {**reader.headers, "accept": "text/csv", "content-type": "application/json"}
    pool = reader._pool  # noqa: SLF001 - the export streams, so it bypasses Transport.send's buffered answer
    for attempt in range(1, ATTEMPTS + 1):
        retry_after = None
        try:
            response = pool.request(
                "POST", f"{reader.base_url}{EXPORT_PATH}", body=body, headers=headers, preload_content=False
            )
        except (urllib3.exceptions.HTTPError, OSError):
            if attempt >= ATTEMPTS:
                raise
        else:
            if 200 <= response.status < 300:
                return response
            text = response.read().decode("utf-8", "replace")
            response.release_conn()
            retry_after = response.headers.get("retry-after")
            if not (response.status in (408, 429) or response.status >= 500) or attempt >= ATTEMPTS:
                raise RunlogRequestError(response.status, text, EXPORT_PATH)
        time.sleep(retry_delay(0.2 * 2 ** (attempt - 1), retry_after))
    raise AssertionError("unreachable")
