"""What `run.log` accepts as a value, a step and a key, checked on the caller's thread so that a batch the server
would refuse (400, every point of it lost) is never sent: the error names the key, at the call that caused it."""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Dict, Mapping, Union

Number = Union[int, float]
#: What the server stores exactly: JSON integers up to 2**53 - 1 (ClickHouse's 64-bit columns hold them all).
MAX_STEP = 2**53 - 1
_SAFE_INTEGER = 2**53 - 1
#: Metric keys, as the server checks them: path-like, no empty, `.` or `..` segment, at most 250 characters.
METRIC_KEY = re.compile(r"(?!.*(?:^|/)\.{1,2}(?:/|$))[A-Za-z0-9_\-.: ]+(?:/[A-Za-z0-9_\-.: ]+)*\Z")
#: Param and tag keys.
KEY = re.compile(r"[A-Za-z0-9_\-./: ]{1,250}\Z")
#: Array libraries whose scalars and one-element arrays are read with `.item()`. They are recognised by the module
#: their type comes from, so none of them is imported here: a value of theirs means the library is loaded already.
_ARRAY_MODULES = frozenset(["numpy", "torch", "jax", "jaxlib", "tensorflow", "cupy", "mlx", "paddle"])


def check_metric_key(key: object) -> str:
    if not isinstance(key, str) or len(key) > 250 or not METRIC_KEY.match(key):
        raise ValueError(
            f"metric key {key!r} is not a metric key: 1-250 of A-Z a-z 0-9 _ - . : space, '/' between "
            "non-empty segments, none of them '.' or '..'"
        )
    return key


def check_key(key: object, what: str) -> str:
    if not isinstance(key, str) or not KEY.match(key):
        raise ValueError(f"{what} key {key!r} must be 1-250 of A-Z a-z 0-9 _ - . / : space")
    return key


def check_step(step: object) -> int:
    """A step is a whole number the server stores exactly; a whole float (`3.0`) is taken as that integer."""
    if isinstance(step, bool):
        raise TypeError(f"step must be an integer, got {step!r}")
    if not isinstance(step, int):
        if isinstance(step, float) and step.is_integer():
            step = int(step)
        elif hasattr(step, "__index__"):
            step = step.__index__()
        elif type(step).__module__.partition(".")[0] in _ARRAY_MODULES and hasattr(step, "item"):
            item = step.item()
            # numpy's longdouble answers .item() with itself: read it as a float instead of recursing.
            return check_step(item if type(item) in (int, float, bool) else float(item))
        else:
            raise TypeError(f"step must be an integer, got {step!r}")
    assert isinstance(step, int)
    if not -MAX_STEP <= step <= MAX_STEP:
        raise ValueError(f"step {step} is beyond what the server stores exactly (±{MAX_STEP})")
    return step


def metric_value(key: str, value: Any) -> Number:
    """A Python number for the value, or TypeError naming the key. NaN and ±inf are kept."""
    kind = type(value)
    if kind is float or kind is int:
        return value  # type: ignore[no-any-return]
    if isinstance(value, (bool, str, bytes, bytearray, complex)) or value is None:
        raise TypeError(f'metric "{key}" is not a number: {value!r}')
    if kind.__module__.partition(".")[0] in _ARRAY_MODULES and hasattr(value, "item"):
        try:
            item = value.item()
        except Exception:
            shape = getattr(value, "shape", "?")
            raise TypeError(f'metric "{key}" is not a single number: an array of shape {shape}') from None
        if type(item) not in (int, float, bool) and isinstance(item, numbers.Real):
            item = float(item)  # numpy's longdouble (float128) answers .item() with itself
        return metric_value(key, item)
    if isinstance(value, numbers.Real) or hasattr(value, "__float__"):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
        except (TypeError, ValueError):
            pass
    raise TypeError(f'metric "{key}" is not a number: {value!r}')


def metric_values(metrics: Mapping[str, Any]) -> Dict[str, Number]:
    return {key: metric_value(key, value) for key, value in metrics.items()}


def wire_value(value: Number) -> Union[Number, str]:
    """JSON has no NaN or infinities: the server takes them as these strings. Integers past 2**53 go as doubles."""
    if type(value) is float:
        if value - value == 0.0:
            return value
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
        return value
    try:
        return float(value)
    except OverflowError:
        return "Infinity" if value > 0 else "-Infinity"


def wire_values(values: list[Number]) -> list[Union[Number, str]]:
    return [v if type(v) is float and v - v == 0.0 else wire_value(v) for v in values]
