"""kit.tabular: safe CSV / .xlsx reading and writing."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from setu.kit import tabular
from setu.kit.tabular import TableError, open_table, open_table_bytes


def read_all(path, **kw):
    with open_table(path, **kw) as t:
        return t.header, list(t.rows())


def test_csv_header_rows_and_row_numbers_as_the_user_sees_them(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes("\ufeffa,b\r\n1,2\r\n\r\n,\r\n3,\"x\ny\"\r\n5,6\r\n".encode())
    header, rows = read_all(p)
    assert header == ["a", "b"]
    # blank rows are skipped but counted; a quoted line break stays inside its row
    assert rows == [(2, ["1", "2"]), (5, ["3", "x\ny"]), (6, ["5", "6"])]


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_csv_delimiter_detected_from_the_header(tmp_path, delimiter):
    p = tmp_path / "a.csv"
    p.write_text(f"a{delimiter}b\n1,5{delimiter}2\n", encoding="utf-8")
    with open_table(p) as t:
        assert t.delimiter == delimiter
        assert list(t.rows()) == [(2, ["1,5", "2"])]


def test_empty_csv_is_an_error_at_row_1(tmp_path):
    p = tmp_path / "e.csv"
    p.write_bytes(b"")
    with pytest.raises(TableError) as ei:
        open_table(p)
    assert ei.value.row == 1 and "empty" in ei.value.message


def test_csv_that_is_not_utf8_is_refused(tmp_path):
    p = tmp_path / "l1.csv"
    p.write_bytes("a,b\n1,2\n1,caf\xe9\n".encode("latin-1"))
    with open_table(p) as t:
        with pytest.raises(TableError) as ei:
            list(t.rows())
    assert "UTF-8" in ei.value.message and ei.value.row == 3


def test_unknown_extensions_are_refused(tmp_path):
    for name in ("a.xls", "a.ods", "a.json"):
        with pytest.raises(TableError):
            tabular.detect_format(name)


def test_csv_writer_guards_formulas_and_reader_undoes_it(tmp_path):
    header = ["name", "value"]
    rows = [["=HYPERLINK(\"http://x\")", -5], ["+cmd", Decimal("1.50")], ["@SUM(A1)", None], ["plain", 2.5]]
    data = b"".join(tabular.iter_csv_bytes(header, rows))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+cmd" in text and "'@SUM" in text and ",-5" in text
    with open_table_bytes(data, "csv") as t:
        assert list(t.rows()) == [(2, ['=HYPERLINK("http://x")', "-5"]), (3, ["+cmd", "1.50"]),
                                  (4, ["@SUM(A1)", ""]), (5, ["plain", "2.5"])]


def test_xlsx_round_trip_text_stays_text_and_numbers_read_cleanly(tmp_path):
    p = tmp_path / "a.xlsx"
    rows = [["=1+2", 5, Decimal("12.50"), date(2024, 3, 1), "00123"], ["x", 2.25, None, datetime(2024, 3, 1, 8), ""]]
    tabular.write_table(p, ["f", "i", "d", "dt", "s"], rows)
    # openpyxl sees a text cell, not a formula
    ws = load_workbook(p).active
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=1+2"
    header, got = read_all(p)
    assert header == ["f", "i", "d", "dt", "s"]
    assert got == [(2, ["=1+2", "5", "12.5", "2024-03-01", "00123"]),
                   (3, ["x", "2.25", "", "2024-03-01 08:00:00", ""])]


def test_xlsx_formulas_are_not_evaluated_and_row_numbers_are_the_sheets(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws["A3"], ws["B3"] = "a", "b"
    ws["A4"], ws["B4"] = "=1+2", 7  # openpyxl stores a formula without a cached value
    ws["A6"] = "z"
    p = tmp_path / "f.xlsx"
    wb.save(p)
    with open_table(p) as t:
        assert t.header_row == 3
        assert list(t.rows()) == [(4, ["", "7"]), (6, ["z", ""])]


def test_text_file_renamed_xlsx_is_refused(tmp_path):
    p = tmp_path / "fake.xlsx"
    p.write_text("manufacturer_code,part_number\nA,B\n")
    with pytest.raises(TableError) as ei:
        open_table(p)
    assert "not an Excel .xlsx" in ei.value.message


def test_zip_without_workbook_and_ole_file_are_refused(tmp_path):
    p = tmp_path / "z.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(TableError, match="not an Excel workbook"):
        open_table(p)
    q = tmp_path / "old.xlsx"
    q.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(TableError, match="password-protected workbook or an old .xls"):
        open_table(q)


def _xlsx_with(tmp_path, name: str, replace: dict[str, bytes]) -> "os.PathLike[str]":
    src = tmp_path / "src.xlsx"
    tabular.write_table(src, ["a", "b"], [["1", "2"]])
    out = tmp_path / name
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
    return out


def test_zip_bomb_xlsx_is_refused_before_parsing(tmp_path):
    # a sheet that inflates 64 MiB of padding from ~64 KiB: far above any real sheet's ratio
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             + b" " * (64 << 20) + b"<sheetData/></worksheet>")
    p = _xlsx_with(tmp_path, "bomb.xlsx", {"xl/worksheets/sheet1.xml": sheet})
    assert p.stat().st_size < 1 << 20
    with pytest.raises(TableError, match="zip bomb"):
        open_table(p)
    # and the total cap holds whatever the ratio
    with pytest.raises(TableError, match="more than the limit|more than"):
        open_table(p, max_ratio=10_000, max_uncompressed=16 << 20)


def test_many_parts_just_under_1_mib_are_refused_by_the_overall_ratio(tmp_path):
    """The probe's near-cap bomb: 450 parts of 1 MiB - 1 byte each (in ~0.5 MB) passed the per-part
    ratio check one by one and unpacked to 470 MB; the whole workbook's ratio is capped now."""
    import time

    src = tmp_path / "src.xlsx"
    tabular.write_table(src, ["a", "b"], [["1", "2"]])
    p = tmp_path / "near-cap.xlsx"
    part = b" " * ((1 << 20) - 1)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        for i in range(450):
            zout.writestr(f"xl/worksheets/pad{i}.xml", part)
    assert p.stat().st_size < 1 << 20
    with zipfile.ZipFile(p) as z:
        assert sum(i.file_size for i in z.infolist()) > 450 * ((1 << 20) - 1) < tabular.MAX_XLSX_UNCOMPRESSED
    t0 = time.perf_counter()
    with pytest.raises(TableError, match="zip bomb"):
        open_table(p)
    assert time.perf_counter() - t0 < 2.0  # refused from the directory, before inflating


def test_xml_entity_bomb_xlsx_is_refused(tmp_path):
    lol = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
           b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
           b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
           b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')
    p = _xlsx_with(tmp_path, "lol.xlsx", {"xl/worksheets/sheet1.xml": lol})
    with pytest.raises(TableError, match="DTD or entities"):
        open_table(p)


def test_damaged_zip_is_refused(tmp_path):
    src = tmp_path / "ok.xlsx"
    tabular.write_table(src, ["a"], [["1"]])
    data = bytearray(src.read_bytes())
    data[len(data) // 2: len(data) // 2 + 64] = b"\0" * 64
    p = tmp_path / "broken.xlsx"
    p.write_bytes(bytes(data))
    with pytest.raises(TableError):
        with open_table(p) as t:
            list(t.rows())


def test_xlsx_bytes_and_csv_stream_agree(tmp_path):
    header, rows = ["k", "v"], [["a", 1], ["b", 2.5]]
    x = tabular.xlsx_bytes(header, rows, sheet_title="things")
    assert load_workbook(io.BytesIO(x)).sheetnames == ["things"]
    with open_table_bytes(x, "xlsx") as t:
        from_x = list(t.rows())
    with open_table_bytes(b"".join(tabular.iter_csv_bytes(header, rows)), "csv") as t:
        from_c = list(t.rows())
    assert from_x == from_c == [(2, ["a", "1"]), (3, ["b", "2.5"])]


def test_write_table_leaves_no_half_file_on_failure(tmp_path):
    p = tmp_path / "out.csv"

    def rows():
        yield ["a"]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        tabular.write_table(p, ["h"], rows())
    assert not p.exists() and not list(tmp_path.iterdir())
