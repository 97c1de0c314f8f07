from __future__ import annotations

import math
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from runlog._media import check_histogram, encode_png, histogram_of, image_content, table_of


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, header = 8, b"", b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8
    return width, height, colour, zlib.decompress(idat)


@pytest.mark.parametrize("channels, colour", [(None, 0), (1, 0), (3, 2), (4, 6)])
def test_an_array_becomes_a_png_holding_its_pixels(channels: object, colour: int) -> None:
    shape = (3, 5) if channels is None else (3, 5, channels)
    pixels = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    width, height, found_colour, rows = decode_png(encode_png(pixels if channels != 1 else pixels[:, :, 0]))
    assert (width, height, found_colour) == (5, 3, colour)
    stride = 5 * (1 if channels in (None, 1) else channels)
    assert all(rows[r * (stride + 1)] == 0 for r in range(3))
    assert b"".join(rows[r * (stride + 1) + 1 : (r + 1) * (stride + 1)] for r in range(3)) == pixels.tobytes()


def test_float_pixels_are_scaled_from_0_1_and_clipped() -> None:
    data, content_type, _ = image_content(np.array([[0.0, 1.0, 2.0, math.nan]]))
    assert content_type == "image/png"
    assert decode_png(data)[3] == b"\x00\x00\xff\xff\x00"


@pytest.mark.parametrize("shape", [(0, 3), (2, 2, 2), (2,), (2, 2, 3, 1)])
def test_arrays_that_are_no_image_are_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="shape"):
        image_content(np.zeros(shape))


def test_image_bytes_are_recognised_by_their_signature() -> None:
    assert image_content(b"\xff\xd8\xff\xe0rest")[1] == "image/jpeg"
    assert image_content(b"RIFF\x00\x00\x00\x00WEBPVP8 ")[1] == "image/webp"
    with pytest.raises(ValueError):
        image_content(b"not an image")


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=200), st.integers(1, 50))
def test_a_histogram_counts_every_finite_value_once_in_ascending_bins(values: list[float], bins: int) -> None:
    histogram = histogram_of(values, bins)
    edges, counts = histogram["edges"], histogram["counts"]
    assert all(b > a for a, b in zip(edges, edges[1:])) or len(edges) == 2
    assert len(edges) == len(counts) + 1 and len(counts) <= bins
    assert sum(counts) == sum(1 for v in values if math.isfinite(v))
    check_histogram(histogram)


@pytest.mark.parametrize("bins", [0, 10_001, 2.5, True])
def test_bins_out_of_range_are_refused(bins: object) -> None:
    with pytest.raises(ValueError, match="bins"):
        histogram_of([1.0], bins)  # type: ignore[arg-type]


def test_a_given_histogram_must_be_well_formed() -> None:
    with pytest.raises(ValueError):
        check_histogram({"edges": [0, 1, 1], "counts": [1, 2]})
    with pytest.raises(ValueError):
        check_histogram({"edges": [0, 1], "counts": [-1]})


def test_tables_take_rows_with_one_cell_per_column() -> None:
    table = table_of({"columns": ["a", "b"], "rows": [[1, np.float32(0.5)], [None, math.inf]]}, None)
    assert table == {"columns": ["a", "b"], "rows": [[1, 0.5], [None, "inf"]]}
    with pytest.raises(ValueError, match="one cell per column"):
        table_of([[1]], ["a", "b"])
