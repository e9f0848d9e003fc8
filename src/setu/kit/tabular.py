"""Safe reading and writing of tables in CSV and Excel (.xlsx) files. No domain knowledge.

Reading
    :func:`open_table` returns a :class:`Table`: the header, the format and dialect, and an
    iterator of ``(row_number, cells)`` where ``row_number`` is the row as the user sees it in
    the file (the header is row 1 in a CSV; in a sheet, the sheet's own row number) and ``cells``
    are strings (``""`` for an empty cell). Blank rows are skipped but still counted.

    CSV: UTF-8 (a byte-order mark is accepted), delimiter ``,`` ``;`` or tab detected from the
    header line, read as a stream (constant memory, a byte counter for progress bars).

    Excel: read with python-calamine (Rust; its XML parser expands no entities and no formula is
    ever evaluated: a formula cell yields the value Excel cached, or empty). Before calamine sees
    a byte, the file must be a real zip with an Excel workbook inside; every member is inflated
    by Python's zipfile under a cap on the total uncompressed size and on the compression ratio
    (zip bombs), members declaring a DTD (``<!DOCTYPE``/``<!ENTITY``: XML bombs) are refused, and
    calamine is handed a clean copy holding only the verified members, so a forged zip header
    cannot make it inflate more than was counted.

Writing
    :func:`iter_csv_bytes` streams CSV (UTF-8 with BOM, so Excel shows non-Latin text); text
    cells starting with ``= + - @`` (formula injection, OWASP "CSV injection") are written with
    a leading apostrophe, which :func:`open_table` strips again, so a file round-trips.
    :func:`xlsx_bytes` / :func:`write_table` write .xlsx with openpyxl, every text cell typed as
    text (never a formula).
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

FORMATS = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
#: Cap on the total uncompressed size of an .xlsx (bytes); keep it above any legitimate upload.
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
#: Cap on the uncompressed/compressed ratio, of each member above 1 MiB and of the whole workbook once it
#: unpacks to more than 1 MiB; real sheets stay far below.
MAX_XLSX_RATIO = 200
MAX_XLSX_MEMBERS = 10_000
#: The overall ratio (everything unpacked / the file's size) is checked once more than this is unpacked.
_RATIO_FLOOR = 1 << 20
#: Members calamine needs to read cell values; the rest (media, macros, printer settings) is dropped.
_XLSX_KEEP_PREFIXES = ("[Content_Types].xml", "_rels/", "xl/workbook.xml", "xl/_rels/", "xl/styles.xml",
                       "xl/sharedStrings.xml", "xl/worksheets/", "docProps/")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"


class TableError(Exception):
    """The file cannot be read as a table at all (not the rows' content: that is the caller's)."""

    def __init__(self, message: str, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.row = row


@dataclass
class Table:
    header: list[str]
    header_row: int
    format: str
    delimiter: str = ","
    #: Bytes (CSV) or rows (xlsx) in all, and a callable giving how many were consumed so far.
    size: int = 0
    _rows: Iterator[tuple[int, list[str]]] | None = field(default=None, repr=False)
    _consumed: Callable[[], int] = field(default=lambda: 0, repr=False)
    _close: Callable[[], None] = field(default=lambda: None, repr=False)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """``(row_number, cells)`` for every non-blank row after the header, once."""
        if self._rows is None:
            raise RuntimeError("the rows of a table can be read once")
        rows, self._rows = self._rows, None
        return rows

    def consumed(self) -> int:
        return self._consumed()

    def close(self) -> None:
        self._close()

    def __enter__(self) -> "Table":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def detect_format(name: str | os.PathLike[str]) -> str:
    """``csv`` or ``xlsx`` from a file name's extension; anything else is a :class:`TableError`."""
    ext = Path(name).suffix.lower().lstrip(".")
    if ext in ("csv", "txt", "tsv"):
        return "csv"
    if ext == "xlsx":
        return "xlsx"
    if ext in ("xls", "xlsb", "xlsm", "ods"):
        raise TableError(f"{Path(name).name}: .{ext} files are not accepted; save the sheet as .xlsx or CSV")
    raise TableError(f"{Path(name).name}: unknown file type; use a .csv or .xlsx file")


def open_table(path: str | os.PathLike[str], *, fmt: str | None = None,
               max_uncompressed: int = MAX_XLSX_UNCOMPRESSED, max_ratio: float = MAX_XLSX_RATIO) -> Table:
    """Open a CSV or .xlsx file as a :class:`Table` (raises :class:`TableError` when unreadable).

    An empty file (no header) is a :class:`TableError` at row 1.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "csv":
        return _open_csv(path)
    if fmt == "xlsx":
        with open(path, "rb") as fh:
            return _open_xlsx(fh, max_uncompressed=max_uncompressed, max_ratio=max_ratio)
    raise TableError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def open_table_bytes(data: bytes, fmt: str, **kw: Any) -> Table:
    """Like :func:`open_table` for an upload held in memory."""
    if fmt == "csv":
        return _open_csv_stream(io.BytesIO(data), len(data), lambda: None)
    if fmt == "xlsx":
        return _open_xlsx(io.BytesIO(data), **kw)
    raise TableError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def unescape_cell(value: str) -> str:
    """Undo the formula-injection guard of :func:`iter_csv_bytes` (``'=x`` -> ``=x``)."""
    if len(value) > 1 and value[0] == "'" and value[1] in _FORMULA_START:
        return value[1:]
    return value


# -- CSV ---------------------------------------------------------------------------------------

class _CountingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
        self.count += n or 0
        return n or 0


_NOT_UTF8 = "the file is not UTF-8 text from this row on; save it as 'CSV UTF-8'"


def _utf8(text: str) -> bool:
    """False when undecodable bytes (kept as lone surrogates) are in ``text``."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _open_csv(path: Path) -> Table:
    fh = open(path, "rb")
    try:
        size = os.fstat(fh.fileno()).st_size
        return _open_csv_stream(fh, size, fh.close)
    except BaseException:
        fh.close()
        raise


def _open_csv_stream(raw: BinaryIO, size: int, close: Callable[[], None]) -> Table:
    counter = _CountingReader(raw)
    text = io.TextIOWrapper(io.BufferedReader(counter, 1 << 16), encoding="utf-8-sig", newline="",
                            errors="surrogateescape")
    first = text.readline()
    if not _utf8(first):
        close()
        raise TableError(_NOT_UTF8, row=1)
    if not first.strip():
        close()
        raise TableError("the file is empty: the first row must name the columns", row=1)
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        header = [unescape_cell(c) for c in next(csv.reader([first], delimiter=delimiter))]
    except csv.Error as exc:
        close()
        raise TableError(f"the header row cannot be read: {exc}", row=1) from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(text, delimiter=delimiter)
        n = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise TableError(f"the row cannot be read as CSV: {exc}", row=n + 1) from None
            n += 1
            if not any(c.strip() for c in cells):
                continue
            if not _utf8("".join(cells)):
                raise TableError(_NOT_UTF8, row=n)
            yield n, [unescape_cell(c) for c in cells]

    def consumed() -> int:
        return counter.count

    return Table(header=header, header_row=1, format="csv", delimiter=delimiter, size=size, _rows=rows(),
                 _consumed=consumed, _close=close)


# -- xlsx --------------------------------------------------------------------------------------

def _clean_xlsx(fh: BinaryIO, *, max_uncompressed: int, max_ratio: float) -> io.BytesIO:
    """Verify an .xlsx container and return a clean in-memory copy of the members calamine needs."""
    magic = fh.read(4)
    fh.seek(0)
    if magic == _OLE_MAGIC:
        raise TableError("the file is a password-protected workbook or an old .xls, not an .xlsx; "
                         "save it as an unprotected .xlsx")
    if magic != _ZIP_MAGIC:
        raise TableError("the file is not an Excel .xlsx workbook (an .xlsx is a zip archive); "
                         "save it as .xlsx or CSV")
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(f"the file is not a readable .xlsx workbook ({exc})") from None
    out = io.BytesIO()
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_XLSX_MEMBERS:
            raise TableError(f"the workbook has {len(infos)} parts (more than {MAX_XLSX_MEMBERS}); refused")
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
            raise TableError("the zip archive is not an Excel workbook (no xl/workbook.xml); save it as .xlsx")
        kept = [i for i in infos if i.filename.startswith(_XLSX_KEEP_PREFIXES)]
        declared = sum(i.file_size for i in kept)
        if declared > max_uncompressed:
            raise TableError(f"the workbook unpacks to {declared:,} bytes, more than the limit of "
                             f"{max_uncompressed:,}; split it or import a CSV")
        fh.seek(0, os.SEEK_END)
        archive = max(fh.tell(), 1)
        fh.seek(0)
        # the ratio of the whole workbook, not only of each large part: many parts just under 1 MiB
        # each (450 x (1 MiB - 1) in a 525 KB file) would otherwise pass one by one
        if declared > _RATIO_FLOOR and declared > max_ratio * archive:
            raise TableError(f"the workbook unpacks to {declared:,} bytes from a {archive:,}-byte file, "
                             f"more than {max_ratio:.0f}:1 (a zip bomb?); refused")
        total = 0
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as clean:
            for info in infos:
                if not info.filename.startswith(_XLSX_KEEP_PREFIXES) or info.is_dir():
                    continue
                if info.flag_bits & 0x1:
                    raise TableError("the workbook is encrypted; save it without a password")
                if info.file_size > (1 << 20) and info.file_size > max_ratio * max(info.compress_size, 1):
                    raise TableError(f"the workbook part {info.filename} is compressed more than {max_ratio:.0f}:1 "
                                     "(a zip bomb?); refused")
                buf = bytearray()
                try:
                    with zf.open(info) as member:
                        while chunk := member.read(1 << 20):
                            buf += chunk
                            total += len(chunk)
                            if total > _RATIO_FLOOR and total > max_ratio * archive:  # sizes in headers may lie
                                raise TableError(f"the workbook unpacks to more than {max_ratio:.0f} times its "
                                                 f"{archive:,} bytes (a zip bomb?); refused")
                            if total > max_uncompressed:
                                raise TableError(f"the workbook unpacks to more than {max_uncompressed:,} bytes; "
                                                 "refused")
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as exc:
                    raise TableError(f"the workbook part {info.filename} is damaged ({exc})") from None
                if info.filename.endswith((".xml", ".rels")):
                    if b"<!DOCTYPE" in buf or b"<!ENTITY" in buf:
                        raise TableError(f"the workbook part {info.filename} declares a DTD or entities "
                                         "(an XML bomb?); Excel never writes one; refused")
                clean.writestr(info.filename, bytes(buf))
    out.seek(0)
    return out


def _cell_text(v: Any) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, datetime):
        if v.time() == time(0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return str(v)
    return str(v)


def _open_xlsx(fh: BinaryIO, *, max_uncompressed: int = MAX_XLSX_UNCOMPRESSED,
               max_ratio: float = MAX_XLSX_RATIO) -> Table:
    from python_calamine import CalamineWorkbook

    clean = _clean_xlsx(fh, max_uncompressed=max_uncompressed, max_ratio=max_ratio)
    try:
        wb = CalamineWorkbook.from_filelike(clean)
        sheet = None
        for i, meta in enumerate(wb.sheets_metadata):
            if "WorkSheet" in str(meta.typ) and "Visible" in str(meta.visible) and "Hidden" not in str(meta.visible):
                sheet = wb.get_sheet_by_index(i)
                break
        if sheet is None:
            raise TableError("the workbook has no visible worksheet")
        data = sheet.to_python(skip_empty_area=False)
    except TableError:
        raise
    except Exception as exc:  # calamine's own errors (XmlError, ZipError, ...)
        raise TableError(f"the workbook cannot be read ({type(exc).__name__}: {exc})") from None
    del clean
    header_idx = next((i for i, r in enumerate(data) if any(_cell_text(c).strip() for c in r)), None)
    if header_idx is None:
        raise TableError("the sheet is empty: the first row must name the columns", row=1)
    header = [unescape_cell(_cell_text(c)) for c in data[header_idx]]
    while header and not header[-1].strip():
        header.pop()
    total = len(data) - header_idx - 1
    state = {"done": 0}

    def rows() -> Iterator[tuple[int, list[str]]]:
        for i in range(header_idx + 1, len(data)):
            state["done"] += 1
            cells = [unescape_cell(_cell_text(c)) for c in data[i]]
            if not any(c.strip() for c in cells):
                continue
            while cells and not cells[-1].strip() and len(cells) > len(header):
                cells.pop()
            yield i + 1, cells

    return Table(header=header, header_row=header_idx + 1, format="xlsx", size=total, _rows=rows(),
                 _consumed=lambda: state["done"])


# -- writing -----------------------------------------------------------------------------------

def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if not v.is_integer() else str(int(v)) if abs(v) < 1e15 else repr(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    return str(v)


def _guard(s: str) -> str:
    if s and s[0] in _FORMULA_START:
        try:
            float(s)
            return s
        except ValueError:
            return "'" + s
    return s


class _Line:
    """A file-like object that hands back what csv.writer wrote."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, s: str) -> int:
        self.parts.append(s)
        return len(s)

    def take(self) -> str:
        s = "".join(self.parts)
        self.parts.clear()
        return s


def iter_csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, delimiter: str = ",",
                   bom: bool = True, chunk_rows: int = 1000) -> Iterator[bytes]:
    """Stream a CSV file: header then rows, UTF-8 (with a BOM unless ``bom=False``), CRLF lines."""
    line = _Line()
    w = csv.writer(line, delimiter=delimiter)
    w.writerow([_guard(_text(h)) for h in header])
    first = line.take()
    yield (codecs.BOM_UTF8 if bom else b"") + first.encode("utf-8")
    n = 0
    for row in rows:
        w.writerow([_guard(_text(v)) for v in row])
        n += 1
        if n % chunk_rows == 0:
            yield line.take().encode("utf-8")
    rest = line.take()
    if rest:
        yield rest.encode("utf-8")


def _xlsx_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return float(v) if v == v.quantize(Decimal("0.01")) and abs(v) < Decimal("1e13") else format(v, "f")
    if isinstance(v, (int, float, bool, date, datetime)):
        return v
    return str(v)


def write_xlsx(target: BinaryIO | str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]],
               *, sheet_title: str = "data") -> None:
    """Write an .xlsx (openpyxl write-only mode); text cells are always text, never formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=(sheet_title or "data")[:31])
    bold = Font(bold=True)

    def cell(v: Any, header_cell: bool = False) -> Any:
        c = WriteOnlyCell(ws, value=None)
        v = _xlsx_value(v)
        if isinstance(v, str):
            c.value = v
            c.data_type = "s"  # never a formula, whatever the text starts with
        else:
            c.value = v
            if isinstance(v, datetime):
                c.number_format = "yyyy-mm-dd hh:mm:ss"
            elif isinstance(v, date):
                c.number_format = "yyyy-mm-dd"
        if header_cell:
            c.font = bold
        return c

    ws.append([cell(h, True) for h in header])
    for row in rows:
        ws.append([cell(v) for v in row])
    wb.save(target)


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet_title: str = "data") -> bytes:
    buf = io.BytesIO()
    write_xlsx(buf, header, rows, sheet_title=sheet_title)
    return buf.getvalue()


def write_table(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]], *,
                fmt: str | None = None, delimiter: str = ",", sheet_title: str = "data") -> None:
    """Write rows to ``path`` as CSV or .xlsx (format from ``fmt`` or the extension).

    Written to a temporary file next to the target and renamed, so a failure leaves no half file.
    """
    path = Path(path)
    fmt = fmt or detect_format(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as fh:
            if fmt == "csv":
                for chunk in iter_csv_bytes(header, rows, delimiter=delimiter):
                    fh.write(chunk)
            elif fmt == "xlsx":
                write_xlsx(fh, header, rows, sheet_title=sheet_title)
            else:
                raise TableError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


# -- imports and exports: the generic machinery the capabilities' tables.py use -------------------
#
# A capability declares what it imports and exports in ``<cap>/tables.py`` (:class:`ImportSpec`,
# :class:`ExportSpec`), written through its own rules and policies; this part knows no domain:
# the header mapped to the declared columns (:class:`Rows`), errors as ``row N, column C:
# message``, the error file (the input's rows plus an ``errors`` column), the dry run and the
# chunked, audited bulk writer (:class:`Writer`), and progress callbacks.

import math as _math
import uuid as _uuid
from collections.abc import Mapping as _Mapping
from itertools import islice as _islice

#: ``progress(phase, done, total)``: phase "reading" counts bytes (CSV) or rows (xlsx), "writing" rows.
ProgressCallback = Callable[[str, int, int], None]
ERRORS_COLUMN = "errors"
CHUNK = 5000


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    help: str = ""


@dataclass
class ImportResult:
    resource: str
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # list[setu.kit.errors.FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        what = f"{self.rows} row(s)"
        if self.errors:
            return f"{what}, {len(self.errors)} error(s); nothing was changed"
        verb = ("would create", "would update", "would leave") if self.dry_run else ("created", "updated", "left")
        return (f"{what}: {verb[0]} {self.created}, {verb[1]} {self.updated}, {verb[2]} {self.unchanged} unchanged"
                + ("; dry run, nothing was changed" if self.dry_run else ""))


@dataclass(frozen=True)
class ImportSpec:
    """What a capability imports: ``run(uow, reader, rows, errs, result, progress, dry_run)`` checks
    every row (``rows``: :class:`Rows`; ``reader``: a read-only unit of work of the same actor for
    references and existing rows; ``errs``: an :class:`~setu.kit.errors.ErrorList`), fills in the
    counts of ``result`` and, when ``errs`` stays empty, writes through ``uow`` (a :class:`Writer`)."""

    resource: str
    permission: str
    columns: tuple[Column, ...]
    run: Callable[..., None]
    #: what the import does, first sentence of its command's help
    description: str = ""


@dataclass(frozen=True)
class ExportSpec:
    """What a capability exports: ``build(uow, filters) -> (header, rows)``; ``filters`` maps each
    accepted filter to its help text. ``options`` gives a filter's command-line spelling when it is
    not ``--name-with-dashes`` (``{"has_nsn": "--has-nsn/--no-nsn"}``), ``types`` its type when not
    text (``bool``, ``int``)."""

    resource: str
    permission: str
    filters: dict[str, str]
    build: Callable[..., tuple[list[str], Iterator[list[Any]]]]
    description: str = ""
    options: dict[str, str] = field(default_factory=dict)
    types: dict[str, type] = field(default_factory=dict)


def column_letter(index: int) -> str:
    s, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


class Rows:
    """Maps the header to the resource's columns and yields ``(row_number, values)`` dicts.

    Unknown, duplicated and missing required columns are errors on the header row; a value under a
    column without a name is an error on its row; an ``errors`` column (an error file) is ignored.
    """

    def __init__(self, table: Table, columns: tuple[Column, ...], errs: Any, progress: ProgressCallback | None):
        self.table, self.errs, self.progress = table, errs, progress
        self.count = 0
        known = {c.name for c in columns}
        self.index: dict[str, int] = {}
        self.ignored: set[int] = set()
        row1 = table.header_row
        for i, raw in enumerate(table.header):
            name = raw.strip().lower()
            if not name:
                self.ignored.add(i)
                continue
            if name == ERRORS_COLUMN:
                self.ignored.add(i)
                continue
            if name not in known:
                errs.add(raw.strip(), f"unknown column; the columns are {', '.join(c.name for c in columns)}", row1)
                self.ignored.add(i)
                continue
            if name in self.index:
                errs.add(name, f"appears twice (columns {column_letter(self.index[name])} and {column_letter(i)})",
                         row1)
                self.ignored.add(i)
                continue
            self.index[name] = i
        self.missing = {c.name for c in columns if c.required and c.name not in self.index}
        for c in columns:
            if c.name in self.missing:
                errs.add(c.name, "required column is missing", row1)
        self.width = len(table.header)
        self.present = set(self.index)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        idx = list(self.index.items())
        unnamed = [i for i in sorted(self.ignored) if not self.table.header[i].strip()]
        no_name = f"has a value but the column has no name in row {self.table.header_row}"
        last = 0
        try:
            for n, cells in self.table.rows():
                self.count += 1
                width = len(cells)
                for i in unnamed:
                    if i < width and cells[i].strip():
                        self.errs.add(column_letter(i), no_name, n)
                if width > self.width:
                    for i in range(self.width, width):
                        if cells[i].strip():
                            self.errs.add(column_letter(i), no_name, n)
                yield n, {k: (cells[i].strip() if i < width else "") for k, i in idx}
                if self.progress and self.count - last >= 2000:
                    last = self.count
                    self.progress("reading", self.table.consumed(), self.table.size)
        except TableError as exc:
            self.errs.add("(file)", exc.message, exc.row)
        if self.progress:
            self.progress("reading", self.table.size, self.table.size)


def pydantic_errors(errs: Any, exc: Any, row: int, columns: set[str], rename: _Mapping[str, str] | None = None,
                    new: bool = True) -> None:
    """Report a pydantic ``ValidationError`` of one row as ``row N, column C: message`` errors."""
    for e in exc.errors():
        loc = e.get("loc") or ()
        fld = str(loc[0]) if loc else ""
        msg = str(e.get("msg", "is not valid"))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if not fld and ":" in msg and msg.split(":", 1)[0] in columns:
            fld, msg = (s.strip() for s in msg.split(":", 1))
        fld = (rename or {}).get(fld, fld) or "(row)"
        typ = e.get("type", "")
        given = e.get("input")
        if typ == "missing":
            msg = "is required for a new part" if new else "is required"
        elif typ in ("decimal_parsing", "float_parsing", "int_parsing", "int_from_float", "decimal_type"):
            kind = "a whole number" if typ.startswith("int") else "a number"
            msg = f"{given!r} is not {kind}"
        elif isinstance(given, str) and typ != "value_error" and len(given) <= 80:
            msg = f"{msg} (got {given!r})"
        errs.add(fld, msg, row)


def parse_count(errs: Any, row: int, col: str, raw: str) -> int | None:
    """A whole number >= 0, or None with the error reported."""
    try:
        v = float(raw)
        if not _math.isfinite(v) or not v.is_integer():
            raise ValueError
        n = int(v)
    except ValueError:
        errs.add(col, f"{raw!r} is not a whole number", row)
        return None
    if n < 0:
        errs.add(col, f"{raw!r} must not be negative", row)
        return None
    return n


def parse_number(errs: Any, row: int, col: str, raw: str) -> float | None:
    """A finite number, or None with the error reported."""
    try:
        v = float(raw)
        if not _math.isfinite(v):
            raise ValueError
    except ValueError:
        errs.add(col, f"{raw!r} is not a number", row)
        return None
    return v


def differs(a: Any, b: Any) -> bool:
    """Would writing ``b`` over ``a`` change the stored value (floats compared to 1e-12)?"""
    if a is None or b is None:
        return a is not b
    if isinstance(a, float) or isinstance(b, float):
        return not _math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    return a != b


def now_utc() -> datetime:
    from datetime import timezone

    return datetime.now(timezone.utc)


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list]:
    it = iter(items)
    while chunk := list(_islice(it, size)):
        yield chunk


def new_ids(n: int) -> Iterator[_uuid.UUID]:
    """Random (version 4) UUIDs, drawn from the OS in blocks rather than one call per row."""
    while n > 0:
        k = min(n, 4096)
        raw = os.urandom(16 * k)
        for i in range(k):
            yield _uuid.UUID(bytes=raw[16 * i:16 * i + 16], version=4)
        n -= k


class Writer:
    """ORM bulk INSERT / UPDATE-by-primary-key in chunks (executemany), reporting progress.

    ORM-enabled statements, so the audit hook records every row. An update row carries ``id``,
    ``version`` (the row version read: the ORM matches it, bumps it, and refuses a row changed
    meanwhile) and the new values. On a dry run nothing is written.
    """

    def __init__(self, uow: Any, total: int, progress: ProgressCallback | None, dry_run: bool):
        self.uow, self.total, self.progress, self.done, self.dry_run = uow, total, progress, 0, dry_run

    def _tick(self, n: int) -> None:
        self.done += n
        if self.progress:
            self.progress("writing", self.done, self.total)

    def insert(self, model: Any, rows: Iterable[dict], count: bool = True) -> None:
        if self.dry_run:  # a dry run validates everything and writes nothing
            return
        from sqlalchemy import insert

        # render_nulls: every row has the same columns, so each chunk is one executemany (without
        # it the ORM splits the batch wherever the pattern of NULL values changes)
        stmt = insert(model).execution_options(render_nulls=True)
        for chunk in chunks(rows):
            self.uow.session.execute(stmt, chunk)
            if count:
                self._tick(len(chunk))

    def update(self, model: Any, rows: list[dict], what: str, count: bool = True) -> None:
        if self.dry_run:
            return
        from sqlalchemy import update
        from sqlalchemy.orm.exc import StaleDataError

        from setu.kit.errors import Conflict

        for chunk in chunks(rows):
            try:
                self.uow.session.execute(update(model), chunk)
            except StaleDataError:
                raise Conflict(f"{what} changed while this import ran; run the import again") from None
            if count:
                self._tick(len(chunk))


def default_error_path(source: str | os.PathLike[str]) -> Path:
    p = Path(source)
    return p.with_name(f"{p.stem}.errors{p.suffix.lower()}")


def error_rows(table: Table, errors: list) -> tuple[list[str], Iterator[list[str]]]:
    """The rows of ``table`` (an input opened again) plus an ``errors`` column.

    Every row is kept (rows without errors have an empty ``errors`` cell), so the user fixes the
    file and imports it whole again; the importer ignores the ``errors`` column (an ``errors``
    column already in the input is replaced). Errors without a row, or on the header, go on the
    first data row.
    """
    by_row: dict[int, list[str]] = {}
    for e in errors:
        by_row.setdefault(e.row or 0, []).append(str(e))
    header = list(table.header)
    drop = next((i for i, h in enumerate(header) if h.strip().lower() == ERRORS_COLUMN), None)
    if drop is not None:
        header.pop(drop)
    width = len(header)
    general = by_row.pop(0, []) + by_row.pop(table.header_row, [])

    def rows() -> Iterator[list[str]]:
        first = True
        try:
            for n, cells in table.rows():
                if drop is not None and drop < len(cells):
                    cells = cells[:drop] + cells[drop + 1:]
                cells = (cells + [""] * width)[:max(width, len(cells))]
                msgs = by_row.pop(n, [])
                if first:
                    msgs, first = general + msgs, False
                yield cells[:width] + ["; ".join(msgs)] + cells[width:]
        except TableError:
            pass
        rest = general if first else []
        for n in sorted(by_row):
            rest += by_row[n]
        if rest:
            yield [""] * width + ["; ".join(rest)]

    return header + [ERRORS_COLUMN], rows()


def write_error_file(source: str | os.PathLike[str], target: str | os.PathLike[str], errors: list) -> Path:
    """Write the input rows plus an ``errors`` column to ``target``, in the input's format (and
    CSV delimiter): see :func:`error_rows`."""
    with open_table(source) as table:
        header, rows = error_rows(table, errors)
        write_table(target, header, rows, fmt=table.format, delimiter=table.delimiter, sheet_title="errors")
    return Path(target)


def error_file_bytes(data: bytes, fmt: str, errors: list) -> bytes:
    """The error file of an upload held in memory (``fmt`` csv or xlsx), as bytes."""
    with open_table_bytes(data, fmt) as table:
        header, rows = error_rows(table, errors)
        if fmt == "csv":
            return b"".join(iter_csv_bytes(header, rows, delimiter=table.delimiter))
        return xlsx_bytes(header, rows, sheet_title="errors")


def stream_rows(uow: Any, stmt: Any, per: int = 2000) -> Iterator[Any]:
    """The rows of ``stmt`` fetched ``per`` at a time (an export streams; keep ``uow`` open)."""
    yield from uow.session.execute(stmt.execution_options(yield_per=per))


def codes_by_id(uow: Any, model: Any) -> dict[_uuid.UUID, str]:
    """``id -> code`` of every row of a model with a ``code`` (an export names references by code)."""
    from sqlalchemy import select

    return {i: c for i, c in uow.session.execute(select(model.id, model.code))}


def parse_bool(name: str, v: Any) -> bool:
    """A filter's true / false (``1 true yes y`` / ``0 false no n``); anything else is a ValidationFailed."""
    from setu.kit.errors import FieldError, ValidationFailed

    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "y"):
        return True
    if s in ("0", "false", "no", "n"):
        return False
    raise ValidationFailed("bad filter", [FieldError(name, f"{v!r} is not true or false")])
