"""Demand files: long-format CSV (``unique_id,ds,y``, plain or gzip) to a Panel, and forecasts back.

Reading and writing are columnar (Apache Arrow's multi-threaded CSV reader and writer, pyarrow):
a well-formed file goes straight into numpy arrays; a file that Arrow cannot type cleanly (a
value that is not a number, a ragged row, ...) is read again row by row so that every problem is
reported with its row. Negative demand (returns) is an error unless ``negative="zero"`` counts it
as zero demand.

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


NEGATIVE_CHOICES = ("error", "zero")


def _values(arr, dtype) -> np.ndarray:
    """The data buffer of a null-free fixed-width Arrow array as numpy (zero copy; no pandas)."""
    dt = np.dtype(dtype)
    return np.frombuffer(arr.buffers()[1], dtype=dt, count=len(arr), offset=arr.offset * dt.itemsize)


def _arrow_columns(path: Path, negative: str):
    """(unique_id, ds, y, negatives clipped) as numpy arrays read by Arrow, or None when the
    file needs the row-by-row reader (to report its problems by row)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        from pyarrow import csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    with open(path, "rb") as fh:
        gz = fh.read(2) == GZIP_MAGIC
    try:
        source = pa.input_stream(str(path), compression="gzip" if gz else None)
        table = pacsv.read_csv(source, read_options=pacsv.ReadOptions(use_threads=True),
                               parse_options=pacsv.ParseOptions(newlines_in_values=False),
                               convert_options=pacsv.ConvertOptions(
                                   include_columns=list(REQUIRED), column_types={"unique_id": pa.string()},
                                   strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError, KeyError):
        return None
    if table.num_rows == 0:
        return None
    ids, ds, y = (table.column(c) for c in REQUIRED)
    if not pa.types.is_floating(y.type) and not pa.types.is_integer(y.type):
        return None
    if y.null_count or ids.null_count or ds.null_count:
        return None
    ds = ds.combine_chunks()
    if pa.types.is_integer(ds.type):
        ds_np = _values(ds.cast(pa.int64()), np.int64)
    elif pa.types.is_date32(ds.type):
        ds_np = _values(ds, np.int32).astype("datetime64[D]")
    elif pa.types.is_timestamp(ds.type):
        ds_np = _values(ds, np.int64).astype(f"datetime64[{ds.type.unit}]")
    else:  # e.g. YYYY-MM months: the engine parses the strings
        ds_np = np.asarray(ds.to_numpy(zero_copy_only=False), dtype=str)
    enc = pc.dictionary_encode(ids.combine_chunks())
    labels = np.array(enc.dictionary.to_pylist(), dtype=str)
    ids_np = (_values(enc.indices, np.int32).astype(np.int64), labels)
    y_np = _values(y.combine_chunks().cast(pa.float64()), np.float64).copy()
    clipped = 0
    if negative == "zero":
        neg = y_np < 0
        clipped = int(neg.sum())
        y_np = np.where(neg, 0.0, y_np)
    return ids_np, ds_np, y_np, clipped


@dataclass
class LoadReport:
    """What loading changed: negative values counted as zero (``negative="zero"``)."""

    negatives_zeroed: int = 0


def load_panel(path: str | os.PathLike[str], *, freq: str | None = None,
               progress: Callable[[int, int], None] | None = None, negative: str = "error",
               report: LoadReport | None = None) -> Panel:
    """Read a long-format demand file into a Panel, reporting every malformed row.

    ``negative``: ``"error"`` (default) reports every negative ``y`` as an error; ``"zero"``
    counts it as zero demand (a return is not negative demand) and tells ``report`` how many."""
    if negative not in NEGATIVE_CHOICES:
        raise ValueError(f"negative must be one of {', '.join(NEGATIVE_CHOICES)}, got {negative!r}")
    path = Path(path)
    if not path.exists():
        raise FileFormatError([f"{path}: no such file"])
    fast = _arrow_columns(path, negative)
    if fast is not None:
        ids_np, ds_np, y_np, clipped = fast
        try:
            panel = panel_from_long(None, ds_np, y_np, freq=freq, id_codes=ids_np)
        except PanelError:
            panel = None  # report by file row: the row-by-row reader below
        if panel is not None:
            if report is not None:
                report.negatives_zeroed = clipped
            if progress is not None:
                size = path.stat().st_size
                progress(size, size)
            return panel
    cols = read_long_csv(path, progress=progress)
    if negative == "zero" and cols.y.size:
        with np.errstate(invalid="ignore"):
            num = np.array([_float_or_nan(v) for v in cols.y.tolist()])
        neg = num < 0
        if report is not None:
            report.negatives_zeroed = int(neg.sum())
        if neg.any():
            y = cols.y.astype(object)
            y[neg] = "0"
            cols = LongColumns(cols.unique_id, cols.ds, y.astype(str), cols.rows, cols.errors)
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


def _float_or_nan(v: str) -> float:
    try:
        return float(v)
    except ValueError:
        return float("nan")


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


def _arrow_fixed(values: np.ndarray):
    """A numpy int32/float64 array as an Arrow array (non-finite floats null), built from its
    buffers (``pyarrow.array`` would import pandas, a second of start-up)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    typ = {np.dtype(np.int32): pa.int32(), np.dtype(np.float64): pa.float64()}[values.dtype]
    validity = None
    if values.dtype.kind == "f":
        ok = np.isfinite(values)
        if not ok.all():
            validity = pa.py_buffer(np.packbits(ok, bitorder="little"))
    return pa.Array.from_buffers(typ, len(values), [validity, pa.py_buffer(values)])


def _arrow_strings(values: np.ndarray):
    """A (small) array of strings as an Arrow string array, from its buffers."""
    import pyarrow as pa

    encoded = [str(v).encode("utf-8") for v in values.tolist()]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def _needs_quotes(values: np.ndarray) -> bool:
    text = values.astype(str)
    return bool(any(np.char.find(text, ch).max(initial=-1) >= 0 for ch in (",", '"', "\n", "\r")))


def write_forecast_file(path: str | os.PathLike[str], panel: Panel, horizon: int,
                        columns: dict[str, np.ndarray]) -> int:
    """Write ``unique_id, ds, <columns>`` (one row per series and future period; per-series
    values flat over the horizon) through Arrow's CSV writer, atomically (a temporary file renamed
    into place; ``.gz`` writes gzip). Non-finite numbers are written as empty fields. Returns the
    number of data rows. Same content as :func:`write_csv_atomic` over :func:`iter_forecast_rows`."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    path = Path(path)
    import pyarrow.compute as pc

    future = np.asarray(period_strings(panel.future_periods(horizon)), dtype=str)
    n = panel.n_series
    ids = np.asarray(panel.ids, dtype=str)
    each = np.repeat(np.arange(n, dtype=np.int32), horizon)  # row -> series
    arrays = {"unique_id": pc.take(_arrow_strings(ids), _arrow_fixed(each)),
              "ds": pc.take(_arrow_strings(future), _arrow_fixed(np.tile(np.arange(horizon, dtype=np.int32), n)))}
    for name, vals in columns.items():
        vals = np.asarray(vals)
        if vals.dtype == object or vals.dtype.kind in "US":
            arrays[name] = pc.take(_arrow_strings(vals.astype(str)), _arrow_fixed(each))
        else:
            arrays[name] = _arrow_fixed(np.repeat(vals.astype(np.float64), horizon))
    table = pa.Table.from_arrays(list(arrays.values()), names=list(arrays))
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        # plain fields, as the csv module writes them, unless a text value needs quoting
        plain = all(not _needs_quotes(np.asarray(v)) for v in [ids, future, *(
            c for c in columns.values() if np.asarray(c).dtype == object or np.asarray(c).dtype.kind in "US")])
        opts = pacsv.WriteOptions(include_header=False, quoting_style="none" if plain else "needed")
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(list(arrays))
        sink = pa.CompressedOutputStream(tmp, "gzip") if path.suffix == ".gz" else pa.OSFile(tmp, "wb")
        with sink:
            sink.write(buf.getvalue().encode("utf-8"))
            pacsv.write_csv(table, sink, write_options=opts)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return int(table.num_rows)
