"""What `run.log` accepts, at and beyond each edge: values, steps, keys."""

from __future__ import annotations

import decimal
import fractions
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runlog._values import (
    MAX_STEP,
    check_metric_key,
    check_step,
    metric_value,
    wire_value,
    wire_values,
)

REPO = Path(__file__).resolve().parents[3]
SEGMENT = st.text(alphabet="ABCxyz019_-.: ", min_size=1, max_size=20).filter(lambda s: s not in (".", ".."))


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_every_float_is_kept_and_crosses_json_as_the_server_reads_it(value: float) -> None:
    assert metric_value("k", value) is value
    wired = json.loads(json.dumps(wire_value(value), allow_nan=False))
    if math.isnan(value):
        assert wired == "NaN"
    elif math.isinf(value):
        assert wired == ("Infinity" if value > 0 else "-Infinity")
    else:
        assert wired == value


@given(st.integers())
def test_any_integer_is_kept_and_sent_as_a_number_the_server_stores(value: int) -> None:
    assert metric_value("k", value) == value
    wired = wire_value(value)
    if abs(value) <= 2**53 - 1:
        assert wired == value and type(wired) is int
    else:
        assert wired in ("Infinity", "-Infinity") or (type(wired) is float and math.isfinite(wired))
    json.dumps(wired, allow_nan=False)


@pytest.mark.parametrize(
    "value, expected",
    [
        (np.float32(1.5), 1.5),
        (np.float64(-2.25), -2.25),
        (np.int64(7), 7),
        (np.uint8(255), 255),
        (np.array(3.5), 3.5),
        (np.array([4.0]), 4.0),
        (np.float16("nan"), math.nan),
        (np.longdouble(1.5), 1.5),
        (np.array(2.5, dtype=np.longdouble), 2.5),
        (decimal.Decimal("0.1"), 0.1),
        (fractions.Fraction(1, 4), 0.25),
        (decimal.Decimal("1e400"), math.inf),
    ],
)
def test_numbers_of_other_types_become_python_numbers(value: object, expected: float) -> None:
    converted = metric_value("k", value)
    assert type(converted) in (int, float)
    assert (math.isnan(converted) and math.isnan(expected)) or converted == expected


@pytest.mark.parametrize(
    "value", [True, np.bool_(True), "0.5", b"1", None, 1j, [1.0], {"a": 1}, np.array([1.0, 2.0]), np.array("x")]
)
def test_what_is_not_one_number_is_refused_naming_the_key(value: object) -> None:
    with pytest.raises(TypeError, match='"train/loss"'):
        metric_value("train/loss", value)


@given(st.integers(min_value=-MAX_STEP, max_value=MAX_STEP))
def test_steps_within_what_the_server_stores_exactly_are_taken(step: int) -> None:
    assert check_step(step) == step
    assert check_step(np.int64(step)) == step


@given(st.integers(min_value=MAX_STEP + 1) | st.integers(max_value=-MAX_STEP - 1))
def test_steps_beyond_it_are_refused(step: int) -> None:
    with pytest.raises(ValueError, match="step"):
        check_step(step)


@pytest.mark.parametrize("step", [1.5, "3", None, True, math.nan, math.inf])
def test_a_step_that_is_not_whole_is_refused(step: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        check_step(step)


def test_a_whole_float_step_is_its_integer() -> None:
    assert check_step(3.0) == 3 and type(check_step(3.0)) is int


@given(st.lists(SEGMENT, min_size=1, max_size=5).map("/".join).filter(lambda k: len(k) <= 250))
def test_path_like_keys_are_taken(key: str) -> None:
    assert check_metric_key(key) == key


def server_pattern(name: str) -> "re.Pattern[str]":
    """A pattern as the server declares it (libs/events/src/schema-fragments.ts), compiled as the server runs it."""
    source = (REPO / "libs" / "events" / "src" / "schema-fragments.ts").read_text()
    literal = re.search(name + r" =\s*'((?:[^'\\]|\\.)*)'", source)
    assert literal, f"{name} is not declared in schema-fragments.ts"
    return re.compile(literal.group(1).encode().decode("unicode_escape"))


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) | st.text(alphabet="aZ09_-.: /", max_size=40))
def test_a_key_is_taken_exactly_when_the_server_would_take_it(key: str) -> None:
    server_takes = len(key) <= 250 and server_pattern("METRIC_KEY_PATTERN").search(key) is not None
    if server_takes:
        assert check_metric_key(key) == key
    else:
        with pytest.raises(ValueError, match="metric key"):
            check_metric_key(key)


@pytest.mark.parametrize("key", ["", "a//b", "/a", "a/", "a/../b", "..", "./x", "é", "a" * 251, "a\nb"])
def test_keys_the_server_refuses_are_refused_here(key: str) -> None:
    with pytest.raises(ValueError):
        check_metric_key(key)


def test_a_batch_of_values_is_wired_in_one_pass() -> None:
    assert wire_values([1.0, math.nan, -math.inf, 2**60, 3]) == [1.0, "NaN", "-Infinity", float(2**60), 3]
