"""Minimal PNG and PGM codecs on numpy arrays (zlib + struct only), for goldens and demo assets.

Golden-file tests store page renderings as PNG, and the demo logo and signatures are PNGs drawn by
``reports/assets/make_assets.py``; neither should need an imaging library of our own choosing. This
module writes 8-bit PNGs (grey, grey+alpha, RGB, RGBA; filter type 0, one IDAT, fixed zlib level so
the bytes are reproducible) and reads any non-interlaced 8-bit PNG of those colour types (all five
row filters, PNG spec §9). It also reads the binary PGM (``P5``) that ``pdftoppm -gray`` writes.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

__all__ = ["decode_png", "encode_png", "read_pgm", "read_png", "write_png"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type
_CHANNELS = {v: k for k, v in _COLOR_TYPES.items()}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an 8-bit image shaped (h, w) or (h, w, c) with c in 1..4 (grey, grey+alpha, RGB, RGBA).

    Deterministic: the same array always gives the same bytes (filter 0, zlib level 9).
    """
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        raise ValueError(f"encode_png needs uint8 pixels, got {arr.dtype}")
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in _COLOR_TYPES:
        raise ValueError(f"encode_png needs (h, w) or (h, w, 1..4), got {arr.shape}")
    h, w, c = arr.shape
    header = struct.pack(">IIBBBBB", w, h, 8, _COLOR_TYPES[c], 0, 0, 0)
    rows = np.concatenate([np.zeros((h, 1), np.uint8), arr.reshape(h, w * c)], axis=1)
    return b"".join(
        (
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)),
            _chunk(b"IEND", b""),
        )
    )


def write_png(path: Path, image: np.ndarray) -> None:
    """Write :func:`encode_png` output to ``path``."""
    Path(path).write_bytes(encode_png(image))


def _paeth(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def _unfilter(raw: np.ndarray, h: int, stride: int, bpp: int) -> np.ndarray:
    """Undo the per-row filters (PNG spec §9.2); Sub/Average/Paeth run left to right per pixel."""
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    rows = raw.reshape(h, stride + 1).astype(np.int32)
    for y in range(h):
        kind, line = rows[y, 0], rows[y, 1:]
        if kind == 0:
            cur = line.copy()
        elif kind == 2:
            cur = (line + prev) & 0xFF
        elif kind in (1, 3, 4):
            cur = np.zeros(stride, np.int32)
            for x0 in range(0, stride, bpp):
                sl = slice(x0, x0 + bpp)
                left = cur[x0 - bpp : x0] if x0 else np.zeros(bpp, np.int32)
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + prev[sl]) // 2
                else:
                    upleft = prev[x0 - bpp : x0] if x0 else np.zeros(bpp, np.int32)
                    pred = _paeth(left, prev[sl], upleft)
                cur[sl] = (line[sl] + pred) & 0xFF
        else:
            raise ValueError(f"PNG: unknown row filter {kind}")
        out[y] = cur
        prev = cur
    return out


def decode_png(data: bytes) -> np.ndarray:
    """Pixels of an 8-bit, non-interlaced PNG: (h, w) for grey, else (h, w, channels)."""
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG file")
    pos = len(_SIGNATURE)
    idat = bytearray()
    header: tuple[int, ...] | None = None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("PNG: no IHDR")
    w, h, depth, color, _, _, interlace = header
    if depth != 8 or interlace or color not in _CHANNELS:
        raise ValueError(f"PNG: only 8-bit non-interlaced grey/RGB(A) supported (depth {depth}, colour {color})")
    channels = _CHANNELS[color]
    raw = np.frombuffer(zlib.decompress(bytes(idat)), np.uint8)
    pixels = _unfilter(raw, h, w * channels, channels).astype(np.uint8)
    return pixels.reshape(h, w) if channels == 1 else pixels.reshape(h, w, channels)


def read_png(path: Path) -> np.ndarray:
    """:func:`decode_png` of the file at ``path``."""
    return decode_png(Path(path).read_bytes())


def read_pgm(data: bytes) -> np.ndarray:
    """Pixels of a binary 8-bit PGM (``P5``), as written by ``pdftoppm -gray``."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos : pos + 1].isspace():
            pos += 1
        if data[pos : pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    magic, w, h, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    if magic != b"P5" or maxval != 255:
        raise ValueError(f"PGM: only 8-bit P5 supported (magic {magic!r}, maxval {maxval})")
    pos += 1  # exactly one whitespace byte after maxval
    return np.frombuffer(data[pos : pos + w * h], np.uint8).reshape(h, w)
