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
