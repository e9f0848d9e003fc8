"""Demand files: long-format CSV (``unique_id,ds,y``, plain or gzip) to a Panel, and forecasts back.

Errors are collected for the whole file and reported as ``row N, column C: message`` where N is
the line number in the file (the header is row 1). Nothing is written unless everything is valid;
output goes to a temporary file in the target folder that is renamed into place at the end.
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from setu.engine.forecasting.panel import Panel, PanelError, panel_from_long, period_strings

REQUIRED = ("unique_id", "ds", "y")
GZIP_MAGIC = b"\x1f\x8b"


class FileFormatError(ValueError):
    """Malformed input file; ``errors`` holds every ``row N, column C: message`` line."""

    def __init__(self, errors: Sequence[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def _open_text(path: Path) -> tuple[io.TextIOBase, Callable[[], int]]:
    """Open plain or gzip text (detected by the magic bytes); returns the stream and a function
    giving the number of (compressed) bytes read so far, for progress."""
    raw = open(path, "rb")
    head = raw.read(2)
    raw.seek(0)
    if head == GZIP_MAGIC or path.suffix == ".gz" and head == GZIP_MAGIC:
        stream = io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8-sig", newline="")
    else:
        stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    return stream, raw.tell


@dataclass(frozen=True)
class LongColumns:
    """The three columns of a long-format file, as strings, with each value's file row number."""

    unique_id: np.ndarray
    ds: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    errors: tuple[str, ...] = ()


def read_long_csv(path: str | os.PathLike[str], *, progress: Callable[[int, int], None] | None = None,
                  id_col: str = "unique_id", ds_col: str = "ds", y_col: str = "y") -> LongColumns:
    """Read the ``unique_id, ds, y`` columns (any order; other columns ignored).

    ``progress(bytes_read, total_bytes)`` is called every 100,000 rows. A header without the needed
    columns raises :class:`FileFormatError`; rows with too few fields are left out and listed in
    ``errors`` (so that the values of the other rows can still be checked).
    """
    path = Path(path)
    if not path.exists():
        raise FileFormatError([f"{path}: no such file"])
    total = path.stat().st_size
    stream, tell = _open_text(path)
    errors: list[str] = []
    ids: list[str] = []
    dss: list[str] = []
    ys: list[str] = []
    rows: list[int] = []
    parts: list[tuple[np.ndarray, ...]] = []

    def flush() -> None:  # compact each chunk into numpy arrays (far smaller than Python strings)
        if rows:
            parts.append((np.array(ids, dtype=str), np.array(dss, dtype=str), np.array(ys, dtype=str),
                          np.array(rows, dtype=np.int64)))
            ids.clear(), dss.clear(), ys.clear(), rows.clear()
    try:
        reader = csv.reader(stream)
        try:
            header = next(reader)
        except StopIteration:
            raise FileFormatError(["row 1, column unique_id: the file is empty (expected a header unique_id,ds,y)"])
        except (UnicodeDecodeError, OSError, csv.Error) as exc:
            raise FileFormatError([f"row 1, column unique_id: unreadable file ({exc})"])
        names = [h.strip() for h in header]
        missing = [c for c in (id_col, ds_col, y_col) if c not in names]
        if missing:
            raise FileFormatError([f"row 1, column {c}: missing from the header" for c in missing])
        ii, di, yi = names.index(id_col), names.index(ds_col), names.index(y_col)
        need = max(ii, di, yi) + 1
        line = 1
        try:
            for rec in reader:
                line = reader.line_num
                if not rec or (len(rec) == 1 and not rec[0].strip()):
                    continue  # blank line
                if len(rec) < need:
                    for c, k in ((id_col, ii), (ds_col, di), (y_col, yi)):
                        if k >= len(rec):
                            errors.append(f"row {line}, column {c}: missing (row has {len(rec)} field(s))")
                    continue
                ids.append(rec[ii])
                dss.append(rec[di])
                ys.append(rec[yi])
                rows.append(line)
                if len(rows) >= 100_000:
                    flush()
                    if progress is not None:
                        progress(tell(), total)
        except (UnicodeDecodeError, OSError, EOFError, csv.Error) as exc:
            errors.append(f"row {line + 1}, column unique_id: unreadable ({exc})")
    finally:
        stream.close()
    flush()
    if progress is not None:
        progress(total, total)
    if not parts:
        empty = np.zeros(0, dtype=str)
        return LongColumns(empty, empty, empty, np.zeros(0, dtype=np.int64), tuple(errors))
    cols = [np.concatenate([p[k] for p in parts]) for k in range(4)]
    return LongColumns(cols[0], cols[1], cols[2], cols[3], tuple(errors))


def load_panel(path: str | os.PathLike[str], *, freq: str | None = None,
               progress: Callable[[int, int], None] | None = None) -> Panel:
    """Read a long-format demand file into a Panel, reporting every malformed row."""
    cols = read_long_csv(path, progress=progress)
    if not cols.rows.size:
        raise FileFormatError(list(cols.errors) or ["row 2, column unique_id: no data rows"])
    problems: list[tuple[int, str]] = [(int(e.split(",")[0][4:]), e) for e in cols.errors]
    try:
        panel = panel_from_long(cols.unique_id, cols.ds, cols.y, freq=freq)
    except PanelError as exc:
        def to_row(m: str) -> str:  # the engine names input positions; the user sees file rows
            return re.sub(r"index (\d+)", lambda g: f"row {int(cols.rows[int(g.group(1))])}", m)

        problems += [(int(cols.rows[i]), f"row {int(cols.rows[i])}, column {c}: {to_row(m)}")
                     for i, c, m in exc.problems]
        panel = None
    if problems:
        problems.sort(key=lambda p: p[0])
        raise FileFormatError([m for _, m in problems])
    return panel


def read_lead_times(path: str | os.PathLike[str], ids: np.ndarray) -> np.ndarray:
    """Lead time per series from a CSV with ``unique_id`` and a ``lead_time*`` column
    (e.g. ``lead_time_months``). Every series of ``ids`` must be present."""
    path = Path(path)
    if not path.exists():
        raise FileFormatError([f"{path}: no such file"])
    stream, _ = _open_text(path)
    errors: list[str] = []
    table: dict[str, float] = {}
    with stream:
        reader = csv.reader(stream)
        header = [h.strip() for h in next(reader, [])]
        lt_cols = [h for h in header if h.startswith("lead_time")]
        if "unique_id" not in header or not lt_cols:
            raise FileFormatError([f"{path}: row 1, column lead_time: the header needs unique_id and a lead_time column"])
        ii, li = header.index("unique_id"), header.index(lt_cols[0])
        for rec in reader:
            if not rec:
                continue
            try:
                v = float(rec[li])
                if not np.isfinite(v) or v < 0:
                    raise ValueError
                table[rec[ii].strip()] = v
            except (ValueError, IndexError):
                errors.append(f"{path}: row {reader.line_num}, column {lt_cols[0]}: not a lead time >= 0")
    missing = [str(i) for i in ids if str(i) not in table]
    if missing:
        errors.append(f"{path}: no lead time for {len(missing)} series (first: {', '.join(missing[:5])})")
    if errors:
        raise FileFormatError(errors)
    return np.array([table[str(i)] for i in ids], dtype=np.float64)


def _fmt(values: np.ndarray) -> list[str]:
    return [repr(float(v)) if np.isfinite(v) else "" for v in values]


def iter_forecast_rows(panel: Panel, horizon: int, columns: dict[str, np.ndarray]) -> Iterator[list[str]]:
    """One row per series and future period: unique_id, ds, then the given per-series columns
    (each of shape (n,); values are flat over the horizon)."""
    future = period_strings(panel.future_periods(horizon))
    formatted = {}
    for name, vals in columns.items():
        vals = np.asarray(vals)
        formatted[name] = [str(v) for v in vals] if vals.dtype == object else _fmt(vals)
    keys = list(formatted)
    for i, uid in enumerate(panel.ids):
        tail = [formatted[k][i] for k in keys]
        for ds in future:
            yield [str(uid), str(ds), *tail]


def write_csv_atomic(path: str | os.PathLike[str], header: Sequence[str], rows: Iterator[Sequence[str]]) -> int:
    """Write rows to ``path`` through a temporary file renamed into place; returns the row count.

    A ``.gz`` suffix writes gzip. On any error the temporary file is removed and ``path`` is
    left untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    count = 0
    try:
        with os.fdopen(fd, "wb") as raw:
            binary = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if path.suffix == ".gz" else raw
            with io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
                w = csv.writer(text, lineterminator="\n")
                w.writerow(header)
                for r in rows:
                    w.writerow(r)
                    count += 1
            if binary is not raw:
                binary.close()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return count
