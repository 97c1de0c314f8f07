"""What the server accepts for everything other than metric points, checked at the call: a request it would refuse
is lost (the SDK sends in the background), so the caller gets a ValueError naming the field instead."""

from __future__ import annotations

import json
import math
import operator
import re
from typing import Any, Dict, List, Mapping, Optional

from ._values import KEY

#: Run, sweep and experiment ids.
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
#: Names people read (experiments, inputs): no control characters, no leading or trailing space.
NAME = re.compile(r"(?!\s)(?!.*\s\Z)[^\x00-\x1f\x7f]+\Z", re.S)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
DIGEST = re.compile(r"[A-Za-z0-9:_-]+\Z")
MAX_SAFE_INTEGER = 2**53 - 1
#: The server takes at most this many params or tags a request: more are sent in several.
MAX_KEYS_PER_REQUEST = 1000


def clean_text(text: str) -> str:
    """JSON text the server takes: a lone surrogate (a file name's undecodable byte, say) becomes U+FFFD."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)


def check_id(value: object, field: str) -> str:
    if not isinstance(value, str) or not ID.match(value):
        raise ValueError(f"{field} {value!r} must be 1-64 of A-Z a-z 0-9 _ - (not starting with _ or -)")
    return value


def check_name(value: object, field: str, limit: int = 256) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= limit or not NAME.match(value):
        raise ValueError(f"{field} {value!r} must be 1-{limit} characters, no control characters or outer spaces")
    return value


def check_run_name(value: object) -> str:
    if not isinstance(value, str) or len(value) > 256 or CONTROL.search(value):
        raise ValueError(f"run name {value!r} must be at most 256 characters, no control characters")
    return clean_text(value)


def check_text(value: object, field: str, limit: int, minimum: int = 1) -> str:
    if not isinstance(value, str) or not minimum <= len(value) <= limit:
        raise ValueError(f"{field} must be text of {minimum} to {limit} characters")
    return clean_text(value)


def check_count(value: object, field: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a whole number from 0 to 2**53 - 1, got {value!r}")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise ValueError(f"{field} must be a whole number from 0 to 2**53 - 1, got {value!r}") from None
    if not 0 <= number <= MAX_SAFE_INTEGER:
        raise ValueError(f"{field} must be a whole number from 0 to 2**53 - 1, got {number}")
    return number


def check_artifact_path(path: object) -> str:
    """The server's rules for a path inside a run's artifacts (services/ingest/src/artifacts/artifact-path.ts)."""
    if not isinstance(path, str) or not path:
        raise ValueError("an artifact path must be non-empty text")
    why = None
    if len(path.encode("utf-8", "surrogatepass")) > 1024:
        why = "it is longer than 1024 bytes"
    elif CONTROL.search(path) or "\\" in path or "%" in path:
        why = "it holds a control character, a backslash or '%'"
    elif path.startswith("/") or re.match(r"[A-Za-z]:\Z", path.split("/")[0]):
        why = "it is absolute"
    elif any(part in ("", ".", "..") for part in path.split("/")):
        why = "it has an empty, '.' or '..' segment"
    elif any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in path.split("/")):
        why = "a segment is longer than 255 bytes"
    if why:
        raise ValueError(f"artifact path {path[:200]!r} is refused: {why}")
    return clean_text(path)


def input_entry(
    name: str,
    digest: str,
    source: Optional[str],
    split: Optional[str],
    rows: Optional[int],
    schema_digest: Optional[str],
    tags: Optional[Mapping[str, Any]],
) -> Dict[str, Any]:
    entry: Dict[str, Any] = {"name": check_name(name, "input name"), "digest": digest}
    if not isinstance(digest, str) or not 1 <= len(digest) <= 128 or not DIGEST.match(digest):
        raise ValueError(f"input digest {digest!r} must be 1-128 of A-Z a-z 0-9 : _ - (see runlog.file_digest)")
    if source is not None:
        entry["source"] = check_text(source, "input source", 2048)
    if split is not None:
        entry["split"] = check_text(split, "input split", 64)
    if rows is not None:
        entry["rows"] = check_count(rows, "input rows")
    if schema_digest is not None:
        if not isinstance(schema_digest, str) or len(schema_digest) > 128 or not DIGEST.match(schema_digest):
            raise ValueError(f"input schema_digest {schema_digest!r} must be 1-128 of A-Z a-z 0-9 : _ -")
        entry["schemaDigest"] = schema_digest
    if tags:
        if len(tags) > 100:
            raise ValueError(f"an input takes at most 100 tags, got {len(tags)}")
        entry["tags"] = {
            check_text(str(key), "input tag key", 255): check_text(str(value), f'input tag "{key}"', 500)
            for key, value in tags.items()
        }
    return entry


def flatten(params: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """`{"a": {"b": 1}, "c": [1, 2]}` → `{"a.b": 1, "c": "[1, 2]"}`: nested configs become dotted keys."""
    flat: Dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            flat.update(flatten(value, name))
        elif isinstance(value, str):
            flat[name] = clean_text(value)
        elif isinstance(value, bool):
            flat[name] = value
        elif isinstance(value, int):
            flat[name] = value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else str(value)
        elif isinstance(value, float):
            flat[name] = value if math.isfinite(value) else str(value)
        elif type(value).__module__.partition(".")[0] in ("numpy", "torch", "jax", "jaxlib") and hasattr(value, "item"):
            try:
                item = value.item()
            except (TypeError, ValueError):
                item = None
            flat.update(flatten({name: item}) if isinstance(item, (int, float, bool, str)) else {name: str(value)})
        else:
            try:
                flat[name] = clean_text(json.dumps(value, default=str))
            except (TypeError, ValueError):
                flat[name] = clean_text(str(value))
    return flat


def checked_map(values: Mapping[str, Any], what: str, limit: int) -> List[Dict[str, Any]]:
    """Params or tags as the server takes them, in requests of at most 1,000 keys."""
    for key, value in values.items():
        check_key_of(key, what)
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f'{what} "{key}" is {len(value)} characters long; at most {limit}')
    items = list(values.items())
    return [dict(items[at : at + MAX_KEYS_PER_REQUEST]) for at in range(0, len(items), MAX_KEYS_PER_REQUEST)]


def check_key_of(key: object, what: str) -> str:
    if not isinstance(key, str) or not KEY.match(key):
        raise ValueError(f"{what} key {key!r} must be 1-250 of A-Z a-z 0-9 _ - . / : space")
    return key


def bounded_seeds(seeds: Mapping[str, Any]) -> Dict[str, Any]:
    """At most 100 seeds, keyed like params, finite numbers or strings; an integer past 2**53 (`torch.initial_seed()`)
    goes as its digits, which a JSON number would round. What the server cannot take is left out."""
    kept: Dict[str, Any] = {}
    for key, value in seeds.items():
        if len(kept) >= 100 or not isinstance(key, str) or not KEY.match(key):
            continue
        if isinstance(value, str):
            kept[key] = clean_text(value[:256])
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, float):
            if math.isfinite(value):
                kept[key] = value
            continue
        try:
            number = operator.index(value)
        except TypeError:
            continue
        kept[key] = number if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER else str(number)
    return kept
