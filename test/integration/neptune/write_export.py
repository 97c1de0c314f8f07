"""Writes a Neptune export as neptune-exporter (github.com/neptune-ai/neptune-exporter, model.py and its writers)
lays it out: `<data>/<sanitize(project)>/<sanitize(run)>_part_<N>.parquet`, one long table per run in the exporter's
schema, rows built in pandas and converted with `pa.Table.from_pandas(..., schema=SCHEMA)` (so NaN is written as
null), Snappy; files under `<files>/<sanitize(project)>/`. What to write comes as JSON on stdin."""
import hashlib
import json
import os
import sys
from datetime import datetime, timezone
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

SCHEMA = pa.schema(
    [
        ("project_id", pa.string()),
        ("run_id", pa.string()),
        ("attribute_path", pa.string()),
        ("attribute_type", pa.string()),
        ("step", pa.decimal128(18, 6)),
        ("timestamp", pa.timestamp("ms", tz="UTC")),
        ("int_value", pa.int64()),
        ("float_value", pa.float64()),
        ("string_value", pa.string()),
        ("bool_value", pa.bool_()),
        ("datetime_value", pa.timestamp("ms", tz="UTC")),
        ("string_set_value", pa.list_(pa.string())),
        ("file_value", pa.struct([("path", pa.string())])),
        (
            "histogram_value",
            pa.struct([("type", pa.string()), ("edges", pa.list_(pa.float64())), ("values", pa.list_(pa.float64()))]),
        ),
    ]
)
VALUE_COLUMN = {
    "float": "float_value",
    "int": "int_value",
    "string": "string_value",
    "bool": "bool_value",
    "datetime": "datetime_value",
    "string_set": "string_set_value",
    "float_series": "float_value",
    "string_series": "string_value",
    "histogram_series": "histogram_value",
    "file": "file_value",
    "file_series": "file_value",
}


def sanitize(part):
    digest = hashlib.blake2b(part.encode("utf-8"), digest_size=8).hexdigest()
    return "".join(c if c.isalnum() or c in ("_", "-") else "_" for c in part) + "-" + digest


def when(ms):
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def row(project, run, path, kind, value, step=None, timestamp=None):
    out = {name: None for name in SCHEMA.names}
    out.update(project_id=project, run_id=run, attribute_path=path, attribute_type=kind)
    out["step"] = None if step is None else Decimal(str(step)).quantize(Decimal("1.000000"))
    out["timestamp"] = when(timestamp)
    if kind == "datetime":
        value = when(value)
    elif kind in ("file", "file_series"):
        value = {"path": value}
    elif kind in ("float_series", "float") and value is not None:
        value = float(value)
    out[VALUE_COLUMN[kind]] = value
    return out


spec = json.load(sys.stdin)
project = spec["project"]
for run, content in spec["runs"].items():
    rows = [row(project, run, *attribute) for attribute in content["attributes"]]
    # The series in parts, as a long run leaves them.
    for path, points in content["series"].items():
        rows += [row(project, run, path, "float_series", value, step, ts) for step, value, ts in points]
    folder = os.path.join(spec["data"], sanitize(project))
    os.makedirs(folder, exist_ok=True)
    parts = content.get("parts", 1)
    size = -(-len(rows) // parts)
    for part in range(parts):
        frame = pd.DataFrame(rows[part * size : (part + 1) * size], columns=SCHEMA.names)
        table = pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)
        pq.write_table(table, os.path.join(folder, f"{sanitize(run)}_part_{part}.parquet"), compression="snappy")
for relative, text in spec.get("downloads", {}).items():
    target = os.path.join(spec["files"], sanitize(project), relative)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as handle:
        handle.write(text)
print(json.dumps({"project_dir": sanitize(project)}))
