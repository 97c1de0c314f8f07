"""Rich media of a run: an image, a histogram or a table of a key at a step. Each is uploaded as an artifact under
`media/<key>/<step>.<ext>`, then named as that key's item at that step (`POST /runs/{id}/media`), right behind the
upload in the run's queue, so the artifact is there when the name arrives."""

from __future__ import annotations

import bisect
import io
import json
import math
import struct
import sys
import zlib
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from ._values import check_metric_key, check_step

DEFAULT_BINS = 30
MAX_BINS = 10_000
_IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": ("image/png", "png"),
    b"\xff\xd8\xff": ("image/jpeg", "jpg"),
    b"GIF87a": ("image/gif", "gif"),
    b"GIF89a": ("image/gif", "gif"),
}


class MediaMixin:
    if TYPE_CHECKING:

        def current_step(self) -> int: ...

        def log_artifact_bytes(self, path: str, data: bytes, content_type: str = ...) -> "Future[Any]": ...

        def _queue(self, path: str, body: Optional[Dict[str, Any]] = None, **fields: Any) -> "Future[Any]": ...

    def log_image(self, key: str, image: Any, step: Optional[int] = None) -> "Future[Any]":
        """An image of `key` at `step` (default: the current step): PNG, JPEG, GIF or WebP bytes, a PIL image, or
        an array of height x width (grey) or height x width x 1, 3 or 4 channels (numpy, torch or JAX; uint8, or
        floats in 0..1), encoded as PNG here without PIL."""
        content, content_type, extension = image_content(image)
        return self._log_media(key, step, "image", content, content_type, extension)

    def log_histogram(
        self, key: str, values: Any, step: Optional[int] = None, bins: int = DEFAULT_BINS
    ) -> "Future[Any]":
        """A distribution of `key` at `step`: raw values (binned here into `bins` equal-width bins over the finite
        values) or a ready histogram, `{"edges": [...], "counts": [...]}`."""
        if isinstance(values, dict):
            histogram = check_histogram(values)
        else:
            histogram = histogram_of(_floats(values), bins)
        content = json.dumps(histogram, separators=(",", ":")).encode()
        return self._log_media(key, step, "histogram", content, "application/json", "json")

    def log_table(
        self, key: str, table: Any, step: Optional[int] = None, columns: Optional[Sequence[str]] = None
    ) -> "Future[Any]":
        """A table of `key` at `step`: a pandas DataFrame, `{"columns": [...], "rows": [[...], ...]}`, or rows
        with `columns` given."""
        content = json.dumps(table_of(table, columns), separators=(",", ":"), allow_nan=False).encode()
        return self._log_media(key, step, "table", content, "application/json", "json")

    def _log_media(
        self, key: str, step: Optional[int], kind: str, content: bytes, content_type: str, extension: str
    ) -> "Future[Any]":
        check_metric_key(key)
        at = self.current_step() if step is None else check_step(step)
        path = f"media/{key}/{at}.{extension}"
        uploaded = self.log_artifact_bytes(path, content, content_type)
        if uploaded.done() and uploaded.exception() is not None:
            return uploaded  # dropped for want of room: no item names an artifact that will not be there
        return self._queue("media", {"key": key, "step": at, "kind": kind, "path": path})


def image_content(image: Any) -> Tuple[bytes, str, str]:
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        for magic, (content_type, extension) in _IMAGE_TYPES.items():
            if data.startswith(magic):
                return data, content_type, extension
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return data, "image/webp", "webp"
        raise ValueError("image bytes must be PNG, JPEG, GIF or WebP")
    if type(image).__module__.startswith("PIL.") and hasattr(image, "save"):
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue(), "image/png", "png"
    return encode_png(_pixels(image)), "image/png", "png"


def _pixels(image: Any) -> Any:
    numpy = sys.modules.get("numpy")
    if numpy is None or not hasattr(image, "shape"):
        raise TypeError("an image is bytes, a PIL image, or an array (numpy, torch or JAX) of pixels")
    if hasattr(image, "detach"):
        image = image.detach().cpu().numpy()
    array = numpy.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)) or 0 in array.shape:
        raise ValueError(f"an image array is height x width [x 1, 3 or 4 channels]; got shape {array.shape}")
    if array.dtype.kind == "f":
        array = numpy.nan_to_num(array, nan=0.0, posinf=1.0, neginf=0.0)
        array = (numpy.clip(array, 0.0, 1.0) * 255.0 + 0.5).astype(numpy.uint8)
    elif array.dtype.kind == "b":
        array = array.astype(numpy.uint8) * 255
    else:
        array = numpy.clip(array, 0, 255).astype(numpy.uint8)
    return array


def encode_png(array: Any) -> bytes:
    """A PNG of an 8-bit array: grey (2-d), RGB or RGBA; filter 0 on every row, zlib-compressed."""
    height, width = array.shape[0], array.shape[1]
    channels = 1 if array.ndim == 2 else array.shape[2]
    colour = {1: 0, 3: 2, 4: 6}[channels]
    raw = array.reshape(height, width * channels).tobytes()
    stride = width * channels
    rows = b"".join(b"\x00" + raw[row * stride : (row + 1) * stride] for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


def _floats(values: Any) -> List[float]:
    if hasattr(values, "detach"):
        values = values.detach().cpu().numpy()
    if hasattr(values, "ravel") and hasattr(values, "tolist"):
        values = values.ravel().tolist()
    return [float(value) for value in values]


def histogram_of(values: List[float], bins: int = DEFAULT_BINS) -> Dict[str, List[Any]]:
    """`bins` equal-width bins over the finite values' range (NaN and infinities left out, as a chart would); bins
    too narrow for a double to tell their edges apart are merged, so edges always ascend."""
    if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= MAX_BINS:
        raise ValueError(f"bins must be 1 to {MAX_BINS}, got {bins!r}")
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return {"edges": [0.0, 1.0], "counts": [0]}
    low, high = min(finite), max(finite)
    if low == high:
        margin = max(0.5, abs(low) * sys.float_info.epsilon)
        lower, upper = low - margin, low + margin
        edges = [
            lower if math.isfinite(lower) and lower < low else low,
            upper if math.isfinite(upper) and upper > low else low,
        ]
    else:
        span = high - low
        width = span / bins if math.isfinite(span) else high / bins - low / bins
        edges = [low]
        for index in range(1, bins):
            edge = low + index * width
            if edges[-1] < edge < high:
                edges.append(edge)
        edges.append(high)
    counts = [0] * (len(edges) - 1)
    last = len(counts) - 1
    for value in finite:
        counts[min(bisect.bisect_right(edges, value) - 1, last)] += 1
    return {"edges": edges, "counts": counts}


def check_histogram(histogram: Dict[str, Any]) -> Dict[str, List[Any]]:
    edges = [float(edge) for edge in histogram.get("edges", [])]
    counts = list(histogram.get("counts", []))
    ascending = all(math.isfinite(edge) and (i == 0 or edge > edges[i - 1]) for i, edge in enumerate(edges))
    valid_counts = all(
        isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) and c >= 0 for c in counts
    )
    if not ascending or len(edges) != len(counts) + 1 or not valid_counts:
        raise ValueError("a histogram needs ascending finite edges and one non-negative count per bin")
    return {"edges": edges, "counts": counts}


def table_of(table: Any, columns: Optional[Sequence[str]]) -> Dict[str, Any]:
    if hasattr(table, "columns") and hasattr(table, "itertuples"):
        names = [str(column) for column in table.columns]
        rows = [[_cell(cell) for cell in row] for row in table.itertuples(index=False, name=None)]
    elif isinstance(table, dict):
        names = [str(column) for column in table.get("columns", [])]
        rows = [[_cell(cell) for cell in row] for row in table.get("rows", [])]
    elif columns is not None:
        names = [str(column) for column in columns]
        rows = [[_cell(cell) for cell in row] for row in table]
    else:
        raise TypeError("a table is a DataFrame, {'columns': [...], 'rows': [...]}, or rows with columns=")
    if any(len(row) != len(names) for row in rows):
        raise ValueError("every row of a table needs one cell per column")
    return {"columns": names, "rows": rows}


def _cell(cell: Any) -> Any:
    if cell is None or isinstance(cell, (bool, str)):
        return cell
    if type(cell).__module__.partition(".")[0] in ("numpy", "torch", "jax", "jaxlib") and hasattr(cell, "item"):
        cell = cell.item()
    if isinstance(cell, (int, float)):
        return cell if math.isfinite(cell) else str(cell)
    return str(cell)
