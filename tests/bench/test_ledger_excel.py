"""The ledger (台账) in Excel: the template, export, and the all-or-nothing import with every bad
cell reported by row (as Excel numbers it) and column letter.

Template columns (bench/ledger_schema.toml), so the expected letters below are worked by hand:
A 序号, B 器具名称, C 器具类别, D 型号规格, E 测量范围, F 准确度等级, G 出厂编号, H 制造单位, I 安装地点,
J 行政区划代码, K 使用单位, L 使用单位地址, M 用途, N 送检方式, O 民用, P 备案状态, Q 投用日期, R 分时计费,
S 技术参数. Rows 1 and 2 are the Chinese and
English headers, so the n-th data row is Excel row n + 2.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from bench.cli import main
from bench.ledger_excel import (
    CATEGORIES,
    COLUMNS,
    EXAMPLE_ROW,
    export_ledger,
    import_ledger,
    parse_params,
    write_template,
)
from bench.store import Store
from bench.store.chain import verify_all
from procedures.regulations.tables import load_table
from tests.bench.conftest import log_in
from tests.bench.test_oversight import _inst, _run

LETTER = {c.key: get_column_letter(i + 1) for i, c in enumerate(COLUMNS)}


def good(n: int, **over: Any) -> dict[str, Any]:
    """A valid row (an AC post at 岳阳楼区) with serial AC-<n>; ``over`` replaces cells."""
    row: dict[str, Any] = {**EXAMPLE_ROW, "index": n, "serial": f"AC-{n:04d}"}
    if over.get("category", EXAMPLE_ROW["category"]) != EXAMPLE_ROW["category"]:
        row.update({c.key: None for c in COLUMNS if c.kind == "spec"})  # the AC post's nameplate values
    row.update(over)
    return row


def fill(path: Path, rows: list[dict[str, Any]]) -> Path:
    """The template filled with ``rows`` from row 3 on, as a user would in Excel (via openpyxl)."""
    write_template(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["台账"]
    for r, row in enumerate(rows, start=3):
        for i, col in enumerate(COLUMNS, start=1):
            ws.cell(row=r, column=i, value=row.get(col.key))
    wb.save(path)
    return path


def sheet_rows(path: Path) -> list[dict[str, Any]]:
    """The data rows of an exported/filled file as dicts by column key (序号 left out)."""
    ws = openpyxl.load_workbook(path)["台账"]
    out = []
    for values in ws.iter_rows(min_row=3, values_only=True):
        if any(v not in (None, "") for v in values):
            out.append({c.key: values[i] for i, c in enumerate(COLUMNS) if c.key != "index"})
    return out


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "ledger.db")


# -- the template -------------------------------------------------------------------------------------
def test_template_has_both_header_rows_dropdowns_and_the_rules_sheet(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:2] == ["台账", "填写说明"]
    ws = wb["台账"]
    assert [c.value for c in ws[1]] == [c.zh for c in COLUMNS]
    assert [c.value for c in ws[2]] == [c.en for c in COLUMNS]
    assert ws.max_row == 2  # no data rows in the empty template
    assert ws["G1"].value == "出厂编号" and ws["G1"].font.color.rgb.endswith("C00000")  # required: red
    assert ws["E1"].value == "测量范围" and not (ws["E1"].font.color and str(ws["E1"].font.color.rgb).endswith("C00000"))
    assert "Serial number" in ws["G1"].comment.text
    dv = {str(v.sqref).split(":")[0]: v for v in ws.data_validations.dataValidation}
    for letter in ("C", "F", "M", "N"):  # category, class, use, delivery mode: drop-downs
        assert dv[f"{letter}3"].type == "list"
    assert dv["J3"].type == "textLength" and dv["J3"].formula1 == "6"
    lists = wb["选项"]
    assert lists.sheet_state == "hidden"
    cats = [lists.cell(row=r, column=1).value for r in range(2, 2 + len(CATEGORIES))]
    assert cats == ["交流充电桩", "非车载充电机", "燃油加油机", "水表", "膜式燃气表", "电能表"]
    text = "\n".join(str(c.value) for row in wb["填写说明"].iter_rows() for c in row if c.value)
    assert "--update" in text and "GB/T 2260" in text and "0.2S、0.5S、1、2" in text
    assert EXAMPLE_ROW["serial"] in text


def test_the_example_row_of_the_instructions_imports(tmp_path: Path, store: Store) -> None:
    wb = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))
    ins = wb["填写说明"]
    example = [r for r in ins.iter_rows(values_only=True) if r[6] == EXAMPLE_ROW["serial"]]
    assert len(example) == 1
    wb["台账"].append(list(example[0]))
    wb.save(tmp_path / "t.xlsx")
    report = import_ledger(store, tmp_path / "t.xlsx")
    assert report.ok, [str(e) for e in report.errors]
    inst = store.find_instrument(EXAMPLE_ROW["serial"])
    assert inst is not None and inst.division_code == "430602" and inst.delivery_mode == "现场检"
    assert json.loads(inst.params_json) == {"imax_a": 32, "voltage_v": 220, "constant_imp_per_kwh": 1000,
                                            "connector": "GB/T 20234.2 交流充电接口"}
    assert not [w for w in report.warnings if "技术参数" in w.message]  # the example is complete
    assert (inst.household, inst.filing_status, inst.commissioned_on) == (False, "已备案", date(2023, 3, 1))


# -- round trip ---------------------------------------------------------------------------------------
ONE_PER_CATEGORY = [
    good(1),
    good(2, category="非车载充电机", name="电动汽车非车载充电机", accuracy_class="1", serial="DC-01",
         params="imax_a=100.0; voltage_v=500.0; constant_imp_per_kwh=1000.0", delivery_mode="现场检"),
    good(3, category="燃油加油机", name="燃油加油机", accuracy_class="0.3", serial="007", measuring_range="(6~60) L/min",
         params="qmax_l_min=60.0; qmin_l_min=6.0; fuel=gasoline; nozzle=1", use="贸易结算"),
    good(4, category="水表", name="饮用冷水水表", accuracy_class="2", serial="WM-1", division_code="420102",
         delivery_mode="送检", client_address=None, params=None, location=None),
    good(5, category="膜式燃气表", name="膜式燃气表", accuracy_class="1.5", serial="GM-1", use="安全防护",
         delivery_mode="送检", division_code="150626", params='{"qmax_m3_h": 4.0, "gas": "air"}'),
    good(6, category="电能表", name="电子式交流电能表", accuracy_class="0.5S", serial="EM-1", use="贸易结算",
         delivery_mode="送检", params="constant_imp_per_kwh=1200; three_phase=false"),
]


def test_template_filled_imports_and_exports_back_the_same(tmp_path: Path, store: Store) -> None:
    src = fill(tmp_path / "in.xlsx", ONE_PER_CATEGORY)
    report = import_ledger(store, src)
    assert report.ok, [str(e) for e in report.errors]
    assert report.added == ["AC-0001", "DC-01", "007", "WM-1", "GM-1", "EM-1"] and report.rows == 6
    gm = store.find_instrument("GM-1")
    assert gm is not None and gm.accuracy_class == "1.5" and gm.use == "安全防护"
    assert json.loads(gm.params_json) == {"qmax_m3_h": 4.0, "gas": "air"}
    fd = store.find_instrument("007")  # leading zeros kept (the column is text)
    assert fd is not None and json.loads(fd.params_json) == {"qmax_l_min": 60.0, "qmin_l_min": 6.0,
                                                              "fuel": "gasoline", "nozzle": 1}
    out = tmp_path / "out.xlsx"
    assert export_ledger(store, out) == 6
    exported, given = sheet_rows(out), sheet_rows(src)
    for e, g in zip(exported, given, strict=True):
        for key in ("name", "category", "model", "measuring_range", "accuracy_class", "serial", "manufacturer",
                    "location", "division_code", "client", "client_address", "use", "delivery_mode"):
            assert (e[key] or None) == (g[key] or None), key
        # the nameplate values a params cell gave come back in their own columns (a key that is not
        # a nameplate value of the row's kind, the DC test voltage voltage_v, stays in the cell)
        table = CATEGORIES[g["category"]].table
        own = {c.key for c in COLUMNS if c.kind == "spec" and table in c.tables}
        assert parse_params(e["params"] or "") == {k: v for k, v in parse_params(g["params"] or "").items()
                                                   if k not in own}
    fuel = next(e for e in exported if e["serial"] == "007")
    assert (fuel["fuel"], fuel["qmax_l_min"], fuel["nozzle"]) == ("汽油", 60, 1)
    # the export imports back: with --update every row is unchanged, and no audit entry is written
    n_audit = len(store.audit_log())
    again = import_ledger(store, out, update=True)
    assert again.ok and again.unchanged == [g["serial"] for g in given] and not again.updated
    assert len(store.audit_log()) == n_audit


def test_numbers_excel_stored_as_numbers_are_read_as_the_text_they_show(tmp_path: Path, store: Store) -> None:
    # A cell typed into a column not formatted as text is a number: class 1.0 comes back as 1 and
    # must still be class "1.0" of 膜式燃气表; a division code 430602 and a serial 12345 as integers.
    rows = [good(1, category="膜式燃气表", accuracy_class=1.0, serial=12345, division_code=430602)]
    report = import_ledger(store, fill(tmp_path / "n.xlsx", rows))
    assert report.ok, [str(e) for e in report.errors]
    inst = store.find_instrument("12345")
    assert inst is not None and inst.accuracy_class == "1.0" and inst.division_code == "430602"


def test_aliases_are_entered_under_the_canonical_name_with_a_warning(tmp_path: Path, store: Store) -> None:
    report = import_ledger(store, fill(tmp_path / "a.xlsx", [good(1, category="燃气表", accuracy_class="1.5",
                                                                  delivery_mode="预约送检")]))
    assert report.ok
    inst = store.find_instrument("AC-0001")
    assert inst is not None and inst.category == "膜式燃气表" and inst.delivery_mode == "送检"
    assert any("按“膜式燃气表”登记" in str(w) and w.row == 3 and w.column == "C" for w in report.warnings)


def test_an_unknown_well_formed_division_code_is_accepted_with_one_warning(tmp_path: Path, store: Store) -> None:
    rows = [good(i, division_code="430699") for i in range(1, 4)]
    report = import_ledger(store, fill(tmp_path / "d.xlsx", rows))
    assert report.ok and len(report.added) == 3
    warned = [w for w in report.warnings if "430699" in w.message]
    assert len(warned) == 1 and warned[0].row == 3 and warned[0].column == "J" and "共 3 行" in warned[0].message


# -- every kind of bad cell, with its row and column ---------------------------------------------------
BAD_CELLS = [
    # (cell overrides for the 2nd data row = Excel row 4, column key, message fragment)
    ({"name": None}, "name", "必填，不能为空"),
    ({"manufacturer": "   "}, "manufacturer", "必填，不能为空"),
    ({"category": "血压计"}, "category", "“血压计” 不是本工作站检定的器具类别"),
    ({"use": "自用"}, "use", "“自用” 不是允许的用途 (not an allowed use; allowed: 贸易结算, 安全防护, 医疗卫生, 环境监测)"),
    ({"delivery_mode": "邮寄"}, "delivery_mode", "“邮寄” 不是允许的送检方式"),
    ({"category": "电能表", "accuracy_class": "3"}, "accuracy_class",
     "“3” 不是 电能表 的等级 (not a class of 电能表; allowed: 0.2S, 0.5S, 1, 2)"),
    ({"category": "燃油加油机", "accuracy_class": "2"}, "accuracy_class", "“2” 不是 燃油加油机 的等级"),
    ({"accuracy_class": None}, "accuracy_class", "必填，不能为空"),
    ({"division_code": "4306"}, "division_code", "“4306” 不是 6 位数字的行政区划代码"),
    ({"division_code": "43060A"}, "division_code", "不是 6 位数字"),
    ({"division_code": "990101"}, "division_code", "省级代码 99 不存在"),
    ({"division_code": "430005"}, "division_code", "地市位为 00 而区县位为 05"),
    ({"division_code": None}, "division_code", "必填，不能为空"),
    ({"params": "imax_a 32"}, "params", "不是 键=值 的形式"),
    ({"params": "{not json"}, "params", "不是有效的 JSON 对象"),
    ({"serial": 1.5e16}, "serial", "被 Excel 存为数字"),
    ({"serial": "AC 2"}, "serial", "含空白字符"),
]


@pytest.mark.parametrize(("over", "key", "fragment"), BAD_CELLS, ids=[f"{k}:{f[:12]}" for _, k, f in BAD_CELLS])
def test_each_bad_cell_is_reported_with_its_row_and_column(tmp_path: Path, store: Store, over: dict[str, Any],
                                                          key: str, fragment: str) -> None:
    path = fill(tmp_path / "bad.xlsx", [good(1), good(2, **over), good(3)])
    report = import_ledger(store, path)
    assert len(report.errors) == 1, [str(e) for e in report.errors]
    err = report.errors[0]
    header = next(c.zh for c in COLUMNS if c.key == key)
    assert (err.row, err.column, err.header) == (4, LETTER[key], header)
    assert fragment in err.message
    assert str(err).startswith(f"第 4 行 {LETTER[key]} 列 ({header}): ")
    assert store.instruments() == []  # nothing entered


def test_the_class_of_a_row_with_a_wrong_category_is_not_judged_twice(tmp_path: Path, store: Store) -> None:
    report = import_ledger(store, fill(tmp_path / "c.xlsx", [good(1, category="血压计", accuracy_class="9")]))
    assert [(e.row, e.column) for e in report.errors] == [(3, "C")]


def test_several_errors_in_one_file_are_all_listed_in_row_then_column_order(tmp_path: Path, store: Store) -> None:
    rows = [good(1), good(2, use="自用", name=None), good(3), good(4, division_code="12")]
    report = import_ledger(store, fill(tmp_path / "m.xlsx", rows))
    assert [(e.row, e.column) for e in report.errors] == [(4, "B"), (4, "M"), (6, "J")]


def test_a_serial_twice_in_the_file_is_an_error_on_the_later_row(tmp_path: Path, store: Store) -> None:
    rows = [good(1), good(2), good(3, serial="AC-0001")]
    report = import_ledger(store, fill(tmp_path / "dup.xlsx", rows))
    assert [(e.row, e.column, e.header) for e in report.errors] == [(5, "G", "出厂编号")]
    assert "与第 3 行重复" in report.errors[0].message
    assert store.instruments() == []


def test_a_serial_already_on_the_ledger_is_an_error_without_update(tmp_path: Path, store: Store) -> None:
    store.add_instrument(category="交流充电桩", name="充电桩", model="OLD", serial="AC-0002", manufacturer="X",
                         accuracy_class="2")
    report = import_ledger(store, fill(tmp_path / "l.xlsx", [good(1), good(2)]))
    assert [(e.row, e.column) for e in report.errors] == [(4, "G")]
    assert "已在台账中" in report.errors[0].message and "--update" in report.errors[0].message
    assert [i.serial for i in store.instruments()] == ["AC-0002"]


def test_a_file_without_a_required_column_or_rows_or_not_xlsx_is_refused(tmp_path: Path, store: Store) -> None:
    path = fill(tmp_path / "h.xlsx", [good(1)])
    wb = openpyxl.load_workbook(path)
    wb["台账"]["G1"] = "备注"  # the serial column's header replaced by an unknown one
    wb.save(path)
    report = import_ledger(store, path)
    assert any(e.row == 1 and "缺少必填列“出厂编号”" in e.message for e in report.errors)
    assert any(w.row == 1 and w.column == "G" and "未知的列" in w.message for w in report.warnings)
    empty = import_ledger(store, write_template(tmp_path / "e.xlsx"))
    assert [e.message for e in empty.errors] == ["文件中没有数据行 (no data rows)"]
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    assert "无法读取 Excel 文件" in import_ledger(store, junk).errors[0].message
    assert store.instruments() == []


def test_header_aliases_and_a_file_without_the_english_row_are_read(tmp_path: Path, store: Store) -> None:
    # another office's sheet: platform-style headers (项别, 规格型号, 生产厂家 …), no English row, data from row 2
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["*计量器具名称", "项别", "规格型号", "准确度等级", "出厂编号", "生产厂家", "行政区划",
               "使用单位", "用途", "检定方式"])
    ws.append(["水表", "水表", "LXS-15", "2", "W-9", "某厂", "430602", "某水务", "贸易结算", "送检"])
    wb.save(tmp_path / "other.xlsx")
    report = import_ledger(store, tmp_path / "other.xlsx")
    assert report.ok, [str(e) for e in report.errors]
    assert any("无“台账”工作表" in w.message for w in report.warnings)
    inst = store.find_instrument("W-9")
    assert inst is not None and inst.manufacturer == "某厂" and inst.delivery_mode == "送检"


def test_one_bad_row_among_fifty_good_imports_nothing(tmp_path: Path, store: Store) -> None:
    store.add_instrument(category="水表", name="水表", model="M", serial="KEEP-1", manufacturer="X", accuracy_class="2")
    before_ledger = [i.model_dump() for i in store.instruments()]
    before_audit = len(store.audit_log())
    rows = [good(i) for i in range(1, 51)]
    rows.insert(36, good(99, category="电能表", accuracy_class="3"))  # data row 37 → Excel row 39
    report = import_ledger(store, fill(tmp_path / "51.xlsx", rows))
    assert report.rows == 51
    assert [str(e) for e in report.errors] == [
        "第 39 行 F 列 (准确度等级): “3” 不是 电能表 的等级 (not a class of 电能表; allowed: 0.2S, 0.5S, 1, 2)"]
    assert [i.model_dump() for i in store.instruments()] == before_ledger
    assert len(store.audit_log()) == before_audit
    # the same fifty without the bad row go in, one audit entry each
    ok = import_ledger(store, fill(tmp_path / "50.xlsx", [r for r in rows if r["index"] != 99]))
    assert ok.ok and len(ok.added) == 50 and len(store.instruments()) == 51
    assert len(store.audit_log()) == before_audit + 50


# -- --update ----------------------------------------------------------------------------------------
def test_update_changes_the_ledger_row_and_audits_before_and_after(tmp_path: Path, store: Store) -> None:
    assert import_ledger(store, fill(tmp_path / "v1.xlsx", [good(1), good(2)])).ok
    original = store.find_instrument("AC-0001")
    assert original is not None
    rows = [good(1, client="新运营公司", delivery_mode="送检", measuring_range=None, imax_a=63), good(2), good(3)]
    report = import_ledger(store, fill(tmp_path / "v2.xlsx", rows), update=True, actor="张三")
    assert report.ok, [str(e) for e in report.errors]
    assert (report.updated, report.unchanged, report.added) == (["AC-0001"], ["AC-0002"], ["AC-0003"])
    row = store.find_instrument("AC-0001")
    assert row is not None and row.id == original.id
    assert (row.client, row.delivery_mode) == ("新运营公司", "送检")
    assert row.measuring_range == original.measuring_range  # blank optional cell keeps the ledger's value
    after = {**json.loads(original.params_json), "imax_a": 63.0}  # the rated current's own column changed it
    assert json.loads(row.params_json) == after
    entries = [e for e in store.audit_log() if e.action == "ledger.update"]
    assert len(entries) == 1 and entries[0].actor == "张三"
    detail = json.loads(entries[0].detail)
    assert detail["serial"] == "AC-0001" and detail["source"] == "v2.xlsx"
    assert detail["before"] == {"client": "某某充电运营有限公司", "delivery_mode": "现场检",
                                "params_json": original.params_json}
    assert detail["after"] == {"client": "新运营公司", "delivery_mode": "送检", "params_json": json.dumps(after, ensure_ascii=False)}
    adds = [e for e in store.audit_log() if e.action == "ledger.add"]
    assert len(adds) == 3 and adds[-1].detail.endswith("AC-0003 ← v2.xlsx") and adds[-1].actor == "张三"
    with store.session() as s:  # the audit entries written by the import are sealed into the chain
        assert all(not breaks for _, breaks in verify_all(s).values())


def test_update_instrument_audits_and_refuses_non_ledger_fields(store: Store) -> None:
    inst = store.add_instrument(category="水表", name="水表", model="M", serial="S1", manufacturer="X",
                                accuracy_class="2")
    row = store.update_instrument(inst.id or 0, actor="李四", location="泵房", params={"q3_m3_h": 2.5})
    assert row.location == "泵房" and json.loads(row.params_json) == {"q3_m3_h": 2.5}
    last = store.audit_log()[-1]
    assert last.action == "ledger.update" and json.loads(last.detail)["before"]["location"] == ""
    n = len(store.audit_log())
    store.update_instrument(inst.id or 0, location="泵房")  # no change → no audit entry
    assert len(store.audit_log()) == n
    with pytest.raises(ValueError, match="not ledger fields"):
        store.update_instrument(inst.id or 0, created_at=None)


def test_a_batch_is_one_transaction(store: Store) -> None:
    store.add_instrument(category="水表", name="水表", model="M", serial="TAKEN", manufacturer="X", accuracy_class="2")
    n_audit = len(store.audit_log())
    fields = {"category": "水表", "name": "水表", "model": "M", "manufacturer": "X", "accuracy_class": "2"}
    with pytest.raises(ValueError, match="TAKEN"):
        store.apply_ledger_changes([{**fields, "serial": "NEW-1"}, {**fields, "serial": "TAKEN"}], [])
    assert [i.serial for i in store.instruments()] == ["TAKEN"] and len(store.audit_log()) == n_audit


# -- the data table agrees with the regulations' own tables --------------------------------------------
def test_the_classes_per_category_are_the_regulation_tables_classes() -> None:
    assert [c.table for c in CATEGORIES.values()] == ["jjg1148", "jjg1149", "jjg443", "jjg162", "jjg577", "jjg596"]
    assert set(CATEGORIES["交流充电桩"].classes) == set(load_table("jjg1148")["items"]["working_error"]["mpe_pct"])
    assert set(CATEGORIES["非车载充电机"].classes) == set(load_table("jjg1149")["items"]["working_error"]["mpe_pct"])
    assert list(CATEGORIES["水表"].classes) == load_table("jjg162")["mpe"]["classes"]
    assert set(CATEGORIES["膜式燃气表"].classes) == set(load_table("jjg577")["classes"])
    assert set(CATEGORIES["电能表"].classes) == set(load_table("jjg596")["period"]["years"])
    # JJG 443: MPE ±0.30 % in every edition → class 0.3
    assert CATEGORIES["燃油加油机"].classes == ("0.3",)
    assert {e["mpe_pct"] for e in load_table("jjg443")["editions"].values()} == {0.30}


# -- the command line ---------------------------------------------------------------------------------
def test_cli_template_import_export_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    db = str(tmp_path / "cli.db")
    log_in(monkeypatch, db, "李检定", "verifier")  # who imports is the logged-in account
    assert main(["--db", db, "ledger", "template", str(tmp_path / "t.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames[:2] == ["台账", "填写说明"]
    capsys.readouterr()

    bad = fill(tmp_path / "bad.xlsx", [good(1), good(2, use="自用", division_code="4306"), good(3, serial="AC-0001")])
    assert main(["--db", db, "ledger", "import", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "第 4 行 J 列 (行政区划代码): “4306” 不是 6 位数字的行政区划代码 (not a 6-digit GB/T 2260 code)",
        "第 4 行 M 列 (用途): “自用” 不是允许的用途 (not an allowed use; allowed: 贸易结算, 安全防护, 医疗卫生, 环境监测)",
        "第 5 行 G 列 (出厂编号): 出厂编号“AC-0001”与第 3 行重复 (duplicate serial: also in row 3)",
        "共 3 处错误，未导入任何数据 (3 error(s); nothing imported)",
    ]
    assert Store(db).instruments() == []

    ok = fill(tmp_path / "ok.xlsx", [good(1), good(2)])
    assert main(["--db", db, "ledger", "import", str(ok)]) == 0
    assert "新增 2" in capsys.readouterr().out
    assert main(["--db", db, "ledger", "import", str(ok)]) == 2  # already on the ledger
    assert "如要更新请加 --update" in capsys.readouterr().err
    changed = fill(tmp_path / "ch.xlsx", [good(1, location="新址"), good(2)])
    with pytest.raises(SystemExit):  # a typed name is refused, not recorded
        main(["--db", db, "ledger", "import", str(changed), "--update", "--operator", "王五"])
    assert "--operator 已取消" in capsys.readouterr().err
    log_in(monkeypatch, db, "王五", "verifier")
    assert main(["--db", db, "ledger", "import", str(changed), "--update"]) == 0
    assert "更新 1" in capsys.readouterr().out
    assert Store(db).audit_log()[-1].actor == "王五"

    assert main(["--db", db, "ledger", "export", str(tmp_path / "out.xlsx")]) == 0
    assert "已导出 2 台器具" in capsys.readouterr().out
    assert [r["location"] for r in sheet_rows(tmp_path / "out.xlsx")] == ["新址", EXAMPLE_ROW["location"]]
    assert main(["--db", db, "ledger", "import", str(tmp_path / "missing.xlsx")]) == 2
    assert main(["--db", db, "ledger", "export", str(tmp_path / "out.csv")]) == 2
    assert ".xlsx" in capsys.readouterr().err


def test_export_states_validity_or_service_life_and_the_last_inspection(tmp_path: Path) -> None:
    """The grey status columns: a household water meter (DN 15) shows 使用期限至 from its first
    verification, a DN 80 one 有效期至 from its last verification; their later in-service
    inspections are listed and move neither date. Re-importing the export changes nothing."""
    store = Store(tmp_path / "l.db")
    small = _inst(store, "W1", "水表", params={"dn_mm": 15, "q3_m3_h": 2.5}, division="420102", client="水务")
    large = _inst(store, "W2", "水表", params={"dn_mm": 80, "q3_m3_h": 40}, division="420102", client="水务")
    _inst(store, "A9", "交流充电桩")  # never verified: no status
    _run(store, "w1", small, "jjg162", date(2020, 5, 10), [0.5])
    _run(store, "w1-check", small, "jjg162", date(2024, 1, 1), [0.5], vtype="in_use")
    _run(store, "w2", large, "jjg162", date(2025, 3, 1), [0.5])
    _run(store, "w2-check", large, "jjg162", date(2026, 4, 1), [3.5], vtype="in_use")  # fails
    path = tmp_path / "out.xlsx"
    export_ledger(store, path, as_of=date(2026, 6, 30))
    ws = openpyxl.load_workbook(path)["台账"]
    col = {c.key: i + 1 for i, c in enumerate(COLUMNS)}
    assert [ws.cell(row=1, column=col[k]).value for k in ("valid_until", "service_life_until")] == [
        "有效期至", "使用期限至（到期更换）"]
    rows = {ws.cell(row=r, column=col["serial"]).value: {k: ws.cell(row=r, column=c).value for k, c in col.items()}
            for r in range(3, ws.max_row + 1)}

    def day(v: Any) -> Any:
        return v.date() if hasattr(v, "date") else v

    w1, w2, a9 = rows["W1"], rows["W2"], rows["A9"]
    assert (day(w1["last_verified"]), day(w1["service_life_until"]), w1["valid_until"]) == (
        date(2020, 5, 10), date(2026, 5, 9), None)
    assert w1["last_inspected"] == "2024-01-01 合格"
    assert (day(w2["last_verified"]), day(w2["valid_until"]), w2["service_life_until"]) == (
        date(2025, 3, 1), date(2027, 2, 28), None)
    assert w2["last_inspected"] == "2026-04-01 不合格"
    assert all(a9[k] is None for k in ("last_verified", "valid_until", "service_life_until", "last_inspected"))
    report = import_ledger(store, path, update=True)
    # (these instruments were entered without nameplate values: only those are warned of)
    assert report.ok and sorted(report.unchanged) == ["A9", "W1", "W2"]
    assert not [w for w in report.warnings if not w.message.startswith("缺少技术参数")]


def test_time_of_use_column_fills_the_parameter_and_exports_back(tmp_path: Path, store: Store) -> None:
    """分时计费 (a `param` column): 是/否 → time_of_use true/false in the technical parameters (the
    charger's clock item applies only when true); blank leaves it; given twice is refused; the export
    shows it in its own column, not among the parameters."""
    src = fill(tmp_path / "in.xlsx", [good(1, time_of_use="否"), good(2, time_of_use="yes"), good(3)])
    report = import_ledger(store, src)
    assert report.ok, [str(e) for e in report.errors]
    params = {s: json.loads(store.find_instrument(s).params_json) for s in ("AC-0001", "AC-0002", "AC-0003")}  # type: ignore[union-attr]
    assert params["AC-0001"]["time_of_use"] is False and params["AC-0002"]["time_of_use"] is True
    assert "time_of_use" not in params["AC-0003"] and params["AC-0001"]["imax_a"] == 32
    out = tmp_path / "out.xlsx"
    export_ledger(store, out)
    rows = {r["serial"]: r for r in sheet_rows(out)}
    assert rows["AC-0001"]["time_of_use"] == "否" and rows["AC-0002"]["time_of_use"] == "是"
    assert rows["AC-0003"]["time_of_use"] in (None, "") and "time_of_use" not in (rows["AC-0001"]["params"] or "")
    # a blank 分时计费 on --update keeps the ledger's value; a new one changes it (audited)
    again = fill(tmp_path / "again.xlsx", [good(1, time_of_use=None), good(2, time_of_use="否")])
    assert import_ledger(store, again, update=True).updated == ["AC-0002"]
    assert json.loads(store.find_instrument("AC-0001").params_json)["time_of_use"] is False  # type: ignore[union-attr]
    bad = fill(tmp_path / "bad.xlsx", [good(9, time_of_use="maybe"),
                                       good(10, time_of_use="是", params="imax_a=32; time_of_use=true")])
    errors = [(e.row, e.column) for e in import_ledger(store, bad).errors]
    assert errors == [(3, LETTER["time_of_use"]), (4, LETTER["params"])]


def test_household_filing_and_commissioning_columns(tmp_path: Path, store: Store) -> None:
    """民用 (是/否 → household), 备案状态 (已备案/未备案, 是/否 accepted) and 投用日期 (an Excel date or
    YYYY-MM-DD) go to the ledger's own columns and come back on export; a bad value is named."""
    wm = good(1, category="水表", name="饮用冷水水表", accuracy_class="2", serial="WM-1", params="q3_m3_h=2.5",
              household="是", filing_status="否", commissioned_on=date(2021, 6, 30))
    src = fill(tmp_path / "in.xlsx", [wm, good(2, household=None, filing_status=None, commissioned_on=None)])
    assert import_ledger(store, src).ok
    row = store.find_instrument("WM-1")
    assert row is not None and (row.household, row.filing_status, row.commissioned_on) == (True, "未备案", date(2021, 6, 30))
    blank = store.find_instrument("AC-0002")
    assert blank is not None and (blank.household, blank.filing_status, blank.commissioned_on) == (None, "", None)
    out = tmp_path / "out.xlsx"
    export_ledger(store, out)
    rows = {r["serial"]: r for r in sheet_rows(out)}
    assert rows["WM-1"]["household"] == "是" and rows["WM-1"]["filing_status"] == "未备案"
    assert rows["WM-1"]["commissioned_on"].date() == date(2021, 6, 30) and rows["AC-0002"]["household"] is None
    # --update changes them too (audited like every ledger field)
    changed = fill(tmp_path / "upd.xlsx", [{**wm, "household": "否", "filing_status": "已备案",
                                           "commissioned_on": date(2022, 1, 5)}])
    assert import_ledger(store, changed, update=True).updated == ["WM-1"]
    row = store.find_instrument("WM-1")
    assert row is not None and (row.household, row.filing_status, row.commissioned_on) == (False, "已备案", date(2022, 1, 5))
    bad = fill(tmp_path / "bad.xlsx", [good(3, household="也许"), good(4, commissioned_on="2023-13-01"),
                                       good(5, filing_status="待定")])
    errors = [(e.row, e.column) for e in import_ledger(store, bad).errors]
    assert errors == [(3, LETTER["household"]), (4, LETTER["commissioned_on"]), (5, LETTER["filing_status"])]


# -- nameplate values (技术参数 columns, procedures/regulations/data/specs.toml) ----------------------
def _water(n: int, **over: Any) -> dict[str, Any]:
    return good(n, category="水表", name="饮用冷水水表", accuracy_class="2", serial=f"WM-{n}", use="贸易结算",
                delivery_mode="送检", **over)


def test_the_template_has_one_column_per_nameplate_value_with_the_kinds_using_it(tmp_path: Path) -> None:
    ws = openpyxl.load_workbook(write_template(tmp_path / "t.xlsx"))["台账"]
    headers = [c.value for c in ws[1]]
    for header in ("额定电压/V", "参比电压 Un/V", "基本电流 Ib/A", "常用流量 Q3/(m³/h)", "公称口径 DN/mm",
                   "最大流量 Qmax/(L/min)", "油品", "枪号", "最大流量 qmax/(m³/h)", "温度等级", "接线方式"):
        assert header in headers, header
    fuel = ws.cell(row=1, column=headers.index("油品") + 1)
    assert "燃油加油机" in fuel.comment.text and "汽油" in fuel.comment.text
    dv = {str(v.sqref).split(":")[0]: v for v in ws.data_validations.dataValidation}
    assert dv[f"{LETTER['fuel']}3"].type == "list"  # a choice: a drop-down of its Chinese names


def test_nameplate_columns_are_typed_checked_against_the_category_and_kept_in_the_params(
        tmp_path: Path, store: Store) -> None:
    rows = [_water(1, q3_m3_h="2.5 m³/h", ratio_r=100, dn_mm="15", temperature_class="T30"),
            good(2, category="燃油加油机", name="燃油加油机", accuracy_class="0.3", serial="FD-2", qmax_l_min=60,
                 qmin_l_min="6", fuel="汽油", nozzle=2, mmq_l=2)]
    report = import_ledger(store, fill(tmp_path / "a.xlsx", rows))
    assert report.ok, [str(e) for e in report.errors]
    assert not [w for w in report.warnings if w.message.startswith("缺少技术参数")]
    wm, fd = store.find_instrument("WM-1"), store.find_instrument("FD-2")
    assert wm is not None and json.loads(wm.params_json) == {"q3_m3_h": 2.5, "ratio_r": 100.0, "dn_mm": 15,
                                                             "temperature_class": "T30"}
    assert fd is not None and json.loads(fd.params_json) == {"qmax_l_min": 60.0, "qmin_l_min": 6.0,
                                                             "fuel": "gasoline", "nozzle": 2, "mmq_l": 2.0}
    bad = [_water(3, q3_m3_h="两立方", dn_mm="15.5", temperature_class="T90", qmax_l_min=60)]
    report = import_ledger(store, fill(tmp_path / "b.xlsx", bad))
    by_column = {e.column: e.message for e in report.errors}
    assert not report.ok and store.find_instrument("WM-3") is None
    assert "不是数值" in by_column[LETTER["q3_m3_h"]]
    assert "应为整数" in by_column[LETTER["dn_mm"]]
    assert "T30" in by_column[LETTER["temperature_class"]] and "不是允许的温度等级" in by_column[LETTER["temperature_class"]]
    assert "水表 无此参数" in by_column[LETTER["qmax_l_min"]]  # a dispenser's value on a water meter's row


def test_a_row_lacking_a_nameplate_value_its_kind_prints_is_warned_of(tmp_path: Path, store: Store) -> None:
    report = import_ledger(store, fill(tmp_path / "a.xlsx", [_water(1, q3_m3_h=2.5, dn_mm=15)]))
    assert report.ok
    (warning,) = [w for w in report.warnings if w.message.startswith("缺少技术参数")]
    assert warning.row == 3 and "量程比 R" in warning.message and "温度等级" in warning.message


# -- sane dimensions and sizes (issue 13 line 5) -----------------------------------------------------
def _strip_dimension(path: Path) -> None:
    """Remove every sheet's recorded <dimension> (a writer may leave it out or get it wrong)."""
    import re
    import zipfile
    parts = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            parts[info.filename] = z.read(info.filename)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            z.writestr(name, data)


@pytest.mark.parametrize("dimension", [True, False], ids=["recorded", "absent"])
def test_one_cell_at_xfd1048576_is_refused_before_the_sheet_is_loaded(tmp_path: Path, store: Store,
                                                                      dimension: bool) -> None:
    """The issue's 4.8 KB workbook: one stray cell at XFD1048576 used to take 1.9 GB; now the file
    is refused by its recorded dimension, or (none recorded) at the first row past the limit."""
    path = fill(tmp_path / "far.xlsx", [good(1)])
    wb = openpyxl.load_workbook(path)
    wb["台账"]["XFD1048576"] = "x"
    wb.save(path)
    if not dimension:
        _strip_dimension(path)
    report = import_ledger(store, path)
    assert not report.ok and store.instruments() == []
    text = " ".join(str(e) for e in report.errors)
    assert ("1048576" in text) if dimension else ("20000" in text and "20001" in text)


def test_a_file_too_large_is_refused_unread(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file size limit ([limits] max_file_bytes) is checked before openpyxl opens the file."""
    from bench import ledger_excel
    path = fill(tmp_path / "big.xlsx", [good(1)])
    monkeypatch.setitem(ledger_excel.LIMITS, "max_file_bytes", 100)
    report = import_ledger(store, path)
    assert not report.ok and "too large" in str(report.errors[0])


def test_a_100000_character_name_is_refused_naming_row_and_column(tmp_path: Path, store: Store) -> None:
    """A text cell beyond ``max_name_chars`` (Excel cuts it to 32,767): an error at its row and column, nothing entered."""
    path = fill(tmp_path / "long.xlsx", [good(1), good(2, name="长" * 100_000)])
    report = import_ledger(store, path)
    assert [(e.row, e.column) for e in report.errors] == [(4, LETTER["name"])]
    assert "too long: 32767 characters" in report.errors[0].message  # Excel keeps 32,767 of them and store.instruments() == []
