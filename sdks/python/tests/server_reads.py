"""Reading back what the real server holds, for the `server` tests: GraphQL, retried until the projection caught up."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any, Callable, Dict, Optional


def graphql(url: str, query: str, variables: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise AssertionError(answer["errors"])
    return answer["data"]  # type: ignore[no-any-return]


def eventually(read: Callable[[], Any], done: Callable[[Any], bool], seconds: float = 120.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


RUN = """query ($id: ID!) { run(id: $id) { status failureReason params { key value } tags { key value }
  metrics { key count min max last lastStep } media { key } } }"""


def run_view(url: str, run_id: str, settled: Callable[[Dict[str, Any]], bool]) -> Dict[str, Any]:
    return eventually(lambda: graphql(url, RUN, {"id": run_id})["run"], lambda run: run is not None and settled(run))  # type: ignore[no-any-return]
