"""Everything other than points, checked at the call against what the server takes (a refused request would be lost
in the background)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import Stub
from hypothesis import given
from hypothesis import strategies as st

from runlog import Client
from runlog._checks import bounded_seeds, check_artifact_path, clean_text, flatten, input_entry
from runlog._run import MAX_STORABLE_MILLIS
from runlog._values import check_step

QUICK = dict(flush_interval=0.05, retry_base_delay=0.01, retry_max_delay=0.05, flush_on_exit=False)
REPO = Path(__file__).resolve().parents[3]


def test_the_last_storable_millisecond_is_the_servers() -> None:
    source = (REPO / "libs" / "events" / "src" / "storable.ts").read_text()
    year, month, day, hour, minute, second, milli = map(
        int,
        re.search(r"MAX_STORABLE_MILLIS = Date\.UTC\(([\d, ]+)\)", source).group(1).split(","),  # type: ignore[union-attr]
    )
    moment = datetime(year, month + 1, day, hour, minute, second, milli * 1000, tzinfo=timezone.utc)
    assert MAX_STORABLE_MILLIS == round(moment.timestamp() * 1000)


def test_timestamps_past_what_the_server_stores_are_refused_at_the_call(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    run = client.start_run("exp", capture_context=False)
    run.log({"x": 1.0}, 0, timestamp=MAX_STORABLE_MILLIS / 1000)
    for bad in (MAX_STORABLE_MILLIS / 1000 + 1, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timestamp"):
            run.log({"x": 1.0}, 1, timestamp=bad)
    assert run.finish(10)


@pytest.mark.parametrize(
    "path",
    ["", "/abs", "a//b", "a/./b", "../up", "C:", "C:/x", "a\\b", "50%", "a\x00b", "tab\there", "x" * 256, "a/" * 600],
)
def test_artifact_paths_the_server_refuses_are_refused_here(path: str) -> None:
    with pytest.raises(ValueError, match="artifact path"):
        check_artifact_path(path)


@given(st.lists(st.text(alphabet="abcXYZ019_-. é", min_size=1, max_size=30), min_size=1, max_size=5))
def test_plain_relative_paths_are_taken(parts: list[str]) -> None:
    path = "/".join(parts)
    if any(part in (".", "..") for part in parts) or len(path.encode()) > 1024:
        return
    assert check_artifact_path(path) == path


@pytest.mark.parametrize(
    "field, kwargs",
    [
        ("input name", {"name": " padded"}),
        ("input name", {"name": "x" * 257}),
        ("input digest", {"digest": "sha256 with space"}),
        ("input digest", {"digest": "a" * 129}),
        ("input source", {"source": "s" * 2049}),
        ("input split", {"split": "s" * 65}),
        ("input rows", {"rows": -1}),
        ("input rows", {"rows": True}),
        ("input rows", {"rows": 2**53}),
        ("input rows", {"rows": 1.5}),
        ("at most 100 tags", {"tags": {str(i): "v" for i in range(101)}}),
        ('input tag "k"', {"tags": {"k": "v" * 501}}),
    ],
)
def test_inputs_the_server_refuses_are_refused_naming_the_field(field: str, kwargs: Any) -> None:
    args: Any = {
        "name": "train.csv",
        "digest": "sha256:ab",
        "source": None,
        "split": None,
        "rows": None,
        "schema_digest": None,
        "tags": None,
        **kwargs,
    }
    with pytest.raises(ValueError, match=field):
        input_entry(**args)


def test_an_input_row_count_may_be_a_numpy_integer() -> None:
    entry = input_entry("train.csv", "sha256:ab", None, "train", np.int64(12), None, {"k": "v"})
    assert entry == {"name": "train.csv", "digest": "sha256:ab", "split": "train", "rows": 12, "tags": {"k": "v"}}
    assert type(entry["rows"]) is int


def test_more_than_a_thousand_params_go_in_several_requests_and_no_tags_send_nothing(stub: Stub) -> None:
    client = Client(stub.url, **QUICK)
    run = client.start_run("exp", capture_context=False)
    run.log_params({f"p{i}": i for i in range(2500)})
    assert run.delete_tags([]).result(1) == {}
    with pytest.raises(ValueError, match="param"):
        run.log_params({"long": "v" * 6001})
    assert run.finish(10)
    sizes = [len(r.json()["params"]) for r in stub.of("/params")]
    assert sizes == [1000, 1000, 500]
    assert stub.of("/tags/delete") == []


def test_seeds_keep_numpy_integers_and_integers_json_would_round() -> None:
    seeds = bounded_seeds({"np": np.int64(7), "torch": 2**64 - 1, "flag": True, "bad key!": 1, "nan": float("nan")})
    assert seeds == {"np": 7, "torch": "18446744073709551615"}


def test_params_flatten_to_values_the_server_takes() -> None:
    flat = flatten({"a": {"b": np.float32(0.5), "c": [1, 2]}, "big": 2**60, "inf": float("inf"), "s": "x\udcff"})
    assert flat == {"a.b": 0.5, "a.c": "[1, 2]", "big": str(2**60), "inf": "inf", "s": "x\ufffd"}


def test_lone_surrogates_become_replacement_characters() -> None:
    assert clean_text("ok") == "ok"
    assert clean_text("bad\udcffname") == "bad\ufffdname"
    "".join(clean_text("\ud800")).encode("utf-8")


def test_a_longdouble_step_is_read_as_its_integer() -> None:
    assert check_step(np.longdouble(3)) == 3
