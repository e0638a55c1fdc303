"""Original records anyone can recompute (issue 12, line 5).

Each demo (AC post, DC charger, fuel dispenser, water, gas and meter benches) is run through the
CLI on its simulated hardware, its 原始记录 written by ``jianding show … --original-record`` and read
back as text (pdftotext). From the *printed* values alone — symbols, readings, constants — the test
recomputes every error with the regulation's formula, written here from
/work/shared/reference/regulations.md independently of the code under test, rounds it at the
regulation's interval (GB/T 8170 half-even, regulations.md §0.2) and compares it with the rounded
value the record prints and the frozen record (the certificate) holds. The comparison is numeric,
so a change in how many digits a document prints the same rounded value with does not matter.

Also: a bench position's record holds its own readings and the bench-wide ones, never another
meter's; every reading key, stored field and step of every demo run has a label in the data table.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from bench.cli import main
from bench.station import example_station_path
from bench.store import Store
from procedures.regulations.reading_labels import labels_for

pytestmark = [
    pytest.mark.timeout(600),
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed"),
]

# kind → (regulation, the bench positions whose record is checked: None for a one-instrument run)
DEMOS: dict[str, tuple[str, tuple[int | None, ...]]] = {
    "ac": ("jjg1148", (None,)),
    "dc": ("jjg1149", (None,)),
    "fuel": ("jjg443", (None,)),
    "water": ("jjg162", (3, 12)),  # 12 fails at Q1 in the demo
    "gas": ("jjg577", (2,)),
    "meter": ("jjg596", (5,)),
}

# Rounding intervals (regulations.md): energy meters class/10 (§0.2 table); chargers "as meters"
# (§10, [M]); fuel dispensers 0.01 % (§0.2, §10); water and gas meters OPEN in regulations.md (§4,
# §5, §11) — the data tables' 0.1 % [M] is the only source.
METER_INTERVAL = {"0.2S": "0.02", "0.5S": "0.05", "1": "0.1", "2": "0.2"}
FUEL_INTERVAL = "0.01"
WATER_GAS_INTERVAL = "0.1"

ROW = re.compile(r"^\s*(\d+(?:\.\d+)?)\s+(\S+)\s+(\S+)")
SECTION = re.compile(r"〔(\d+)〕")
ROUNDED = re.compile(r"修约\s*rounded\s*([+\-]?\d+(?:\.\d+)?)")


def _station(kind: str, tmp: Path) -> Path:
    """The demo station with free TCP ports (tests run side by side)."""
    text = re.sub(r"(?m)^port = \d+", "port = 0", example_station_path(kind).read_text("utf-8"))
    path = tmp / f"{kind}.toml"
    path.write_text(text, "utf-8")
    return path


def printed(symbol: str) -> str:
    """A symbol as pdftotext reads it back: its subscript (``_x``, typeset lowered) joined on."""
    return symbol.replace("_", "")


@dataclass
class Section:
    """One printed section of the record: its number, the symbols' values and the rounded results."""

    number: int
    text: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)

    def num(self, symbol: str) -> float:
        """The printed value of ``symbol`` (e.g. ``m(2)``; ``C_L`` prints C with L as subscript,
        which pdftotext reads as ``CL``)."""
        return float(self.values[printed(symbol)])

    def runs(self, symbol: str) -> list[int | None]:
        """The repetitions ``k`` for which ``symbol(k)`` is printed, in order; [None] when it is
        read once (printed without an index)."""
        symbol = printed(symbol)
        out = [int(m.group(1)) for s in self.values if (m := re.fullmatch(re.escape(symbol) + r"\((\d+)\)", s))]
        return sorted(out) if out else ([None] if symbol in self.values else [])

    def at(self, symbol: str, k: int | None) -> float:
        """The printed value of ``symbol`` of repetition ``k`` (None: read once)."""
        return self.num(symbol if k is None else f"{symbol}({k})")

    @property
    def computed(self) -> list[float]:
        """The per-reading errors the record prints as computed (计算值) for the first result: the
        readings its result uses (a meter within tolerance keeps its first runs when others repeat)."""
        m = re.search(r"计算值\s*computed\s*(.*?)(?:%|s)\s*；", " ".join(self.text))
        return [float(x) for x in re.findall(r"[+\-]\d+\.\d+", m.group(1))] if m else []

    @property
    def rounded(self) -> list[str]:
        """The rounded values the record prints (修约) in this section."""
        return ROUNDED.findall(" ".join(self.text))


def parse_record(pdf: Path) -> list[Section]:
    """The sections of an original record, read from its text (pdftotext -layout)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout
    sections: list[Section] = []
    for line in text.splitlines():
        if m := SECTION.search(line):
            sections.append(Section(int(m.group(1))))
        if not sections:
            continue
        sec = sections[-1]
        sec.text.append(line)
        if (row := ROW.match(line)) and row.group(2) not in ("—", "No.") and not line.strip().startswith("第"):
            symbol, value = row.group(2), row.group(3)
            if re.fullmatch(r"[+\-]?\d+(?:\.\d+)?", value):
                # a symbol means one value in its section (the same value may print twice, e.g. N
                # beside the standard's reading and beside the register's)
                assert sec.values.get(symbol, value) == value, f"{symbol} has two values in section {sec.number}"
                sec.values[symbol] = value
    return sections


def half_even(x: float, interval: str) -> Decimal:
    """GB/T 8170 rounding at ``interval`` (regulations.md §0.2): divide, round half to even, multiply."""
    q = Decimal(interval)
    return (Decimal(repr(x)) / q).quantize(Decimal(1), rounding=ROUND_HALF_EVEN) * q


@dataclass
class Demo:
    """A demo run: its store, run id, and the original record per checked position."""

    kind: str
    regulation: str
    store: Store
    run_id: str
    records: dict[int | None, Path]


@pytest.fixture(scope="module", params=list(DEMOS))
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    kind = request.param
    regulation, positions = DEMOS[kind]
    tmp = tmp_path_factory.mktemp(f"orig-{kind}")
    db = str(tmp / "demo.db")
    argv = ["--db", db, "demo", *([] if kind == "ac" else [kind]), "--station", str(_station(kind, tmp)),
            "--out", str(tmp / "out")]
    assert main(argv) == 0
    store = Store(Path(db))
    run = store.runs()[0]
    records: dict[int | None, Path] = {}
    for pos in positions:
        pdf = tmp / f"record-{pos}.pdf"
        assert main(["--db", db, "show", run.id, "--original-record", str(pdf),
                     *(["--position", str(pos)] if pos is not None else [])]) == 0
        records[pos] = pdf
    yield Demo(kind, regulation, store, run.id, records)


def _steps(demo: Demo, position: int | None) -> list[str]:
    """The run's steps in the order their first reading was taken (the record's section order)."""
    from procedures.regulations.reading_labels import position_of_reading

    order: list[str] = []
    for r in demo.store.readings(demo.run_id):
        if position_of_reading({"key": r.key}) in (None, position) and r.step_key not in order:
            order.append(r.step_key)
    return order


def _certificate_rounded(demo: Demo, step: str, position: int | None) -> list[str]:
    """What the frozen record (the certificate) holds for the results of ``step``."""
    return [r.rounded for r in demo.store.results(demo.run_id) if r.step_key == step and r.position == position]


def _frozen(demo: Demo, position: int | None) -> dict[str, object]:
    if position is None:
        return json.loads(demo.store.get_run(demo.run_id).record_json)
    seat = next(s for s in demo.store.positions(demo.run_id) if s.position == position)
    return json.loads(seat.record_json)


# -- the regulations' formulas, from regulations.md ------------------------------------------------


def pulse_errors(sec: Section, gate: str) -> list[float]:
    """γ = (m0 − m)/m × 100 %, m0 = C0·N/C_L (regulations.md §0.1; JJG 1148/1149-2022 §5.1 and
    JJG 596-2012 标准表法 by §1, §10): m standard pulses while the DUT gives N, C0 and C_L the
    standard's and the DUT's constants (imp/kWh)."""
    c_l = sec.num("C_L")
    out = []
    for k in sec.runs(gate):
        m, n, c0 = sec.at(gate, k), sec.at("N", k), sec.at("C_0", k)
        m0 = c0 * n / c_l
        out.append((m0 - m) / m * 100.0)
    return out


def fuel_errors(sec: Section) -> list[float]:
    """JJG 443-2006 §7.6 (regulations.md §3): V_B = V_n + (h − h0)·d;
    V_Bt = V_B[1 + β_Y(t_J − t_B) + β_B(t_B − 20)]; E = (V_J − V_Bt)/V_Bt × 100 %."""
    v_n, h0, d = sec.num("V_n"), sec.num("h0"), sec.num("d") / 1000.0  # mL/mm → L/mm
    beta_y, beta_b = sec.num("β_Y") * 1e-6, sec.num("β_B") * 1e-6
    out = []
    for k in sec.runs("V_J"):
        v_b = v_n + (sec.at("h", k) - h0) * d
        t_j, t_b = sec.at("t_J", k), sec.at("t_B", k)
        v_bt = v_b * (1 + beta_y * (t_j - t_b) + beta_b * (t_b - 20.0))
        out.append((sec.at("V_J", k) - v_bt) / v_bt * 100.0)
    return out


def water_errors(sec: Section) -> list[float]:
    """JJG 162-2019 (regulations.md §4): E = (V_i − V_a)/V_a × 100 %, V_i = N·τ (pulse value τ)."""
    tau = sec.num("τ")
    return [(sec.at("N", k) * tau - sec.at("V_a", k)) / sec.at("V_a", k) * 100.0 for k in sec.runs("V_a")]


def gas_errors(sec: Section) -> list[float]:
    """JJG 577-2012 (regulations.md §5): V_ref = V_s·(p_s/p_m)·(T_m/T_s), T in K, p absolute;
    E = (V_m − V_ref)/V_ref × 100 %. The correction may be omitted when |t_s − t_m| ≤ 0.5 °C and
    the pressure correction is within ±0.2 % — the record says which rule the table chose."""
    always = "始终修正" in " ".join(sec.text)
    out = []
    for k in sec.runs("V_s"):
        v_s, t_s, p_s = sec.at("V_s", k), sec.at("t_s", k), sec.at("p_s", k)
        t_m, p_m = sec.at("t_m", k), sec.at("p_m", k)
        needed = abs(t_s - t_m) > 0.5 or abs(p_s / p_m - 1) * 100 > 0.2
        v_ref = v_s * (p_s / p_m) * ((t_m + 273.15) / (t_s + 273.15)) if always or needed else v_s
        out.append((sec.at("V_m", k) - v_ref) / v_ref * 100.0)
    return out


def register_error(sec: Section) -> list[float]:
    """JJG 596-2012 电能表常数试验, standard-meter method (the module's source, regulations.md §6):
    γ = (ΔR − E_std)/E_std × 100 %, ΔR = R_1 − R_0 (register), E_std = E_1 − E_0 (standard)."""
    e_std = sec.num("E_1") - sec.num("E_0")
    return [((sec.num("R_1") - sec.num("R_0")) - e_std) / e_std * 100.0]


def _recompute(regulation: str, step: str, sec: Section) -> list[float] | None:
    """The per-reading errors of ``step`` recomputed from the section's print; None: not an error."""
    if regulation in ("jjg1148", "jjg1149") and step.startswith("working_error"):
        return pulse_errors(sec, "m")
    if regulation == "jjg443" and step.startswith("flow_point"):
        return fuel_errors(sec)
    if regulation == "jjg162" and re.fullmatch(r"q\d", step):
        return water_errors(sec)
    if regulation == "jjg577" and step.startswith("flow_point"):
        return gas_errors(sec)
    if regulation == "jjg596" and step.startswith("basic_error"):
        # γ per reading as printed beside m, N, C0: recompute it from those
        return pulse_errors(sec, "m")
    if regulation == "jjg596" and step == "constant":
        return register_error(sec)
    return None


def _interval(regulation: str, accuracy_class: str) -> str:
    if regulation in ("jjg1148", "jjg1149", "jjg596"):
        return METER_INTERVAL[accuracy_class]
    return FUEL_INTERVAL if regulation == "jjg443" else WATER_GAS_INTERVAL


def test_every_error_recomputes_from_the_printed_record(demo: Demo) -> None:
    checked = 0
    for position, pdf in demo.records.items():
        sections = parse_record(pdf)
        steps = _steps(demo, position)
        assert len(sections) == len(steps), f"{demo.kind}: one section per step, in the order taken"
        frozen = _frozen(demo, position)
        interval = _interval(demo.regulation, str(frozen["instrument"]["accuracy_class"]))  # type: ignore[index]
        for step, sec in zip(steps, sections, strict=True):
            errors = _recompute(demo.regulation, step, sec)
            if errors is None:
                continue
            assert errors, f"{demo.kind} {step}: no inputs printed"
            used = sec.computed
            assert used and len(used) <= len(errors), f"{demo.kind} {step}: computed values not printed"
            errors = errors[: len(used)]  # the readings the result uses, in the order taken
            for mine, printed_value in zip(errors, used, strict=True):
                assert abs(mine - printed_value) < 2e-3, f"{demo.kind} {step}: γ {mine:+.5f} vs printed {printed_value}"
            mean = sum(errors) / len(errors)
            certificate = _certificate_rounded(demo, step, position)
            printed = sec.rounded
            assert certificate and printed, f"{demo.kind} {step}: no rounded result"
            expected = half_even(mean, interval)
            # the record prints what the certificate holds, and both are the recomputed error rounded
            assert Decimal(printed[0]) == Decimal(certificate[0].replace("+", "")), (demo.kind, step)
            assert Decimal(certificate[0].replace("+", "")) == expected, (
                f"{demo.kind} {step} 表位 {position}: recomputed {mean:+.5f} % → {expected}, certificate {certificate[0]}")
            checked += 1
    minimum = {"ac": 3, "dc": 3, "fuel": 2, "water": 6, "gas": 3, "meter": 11}[demo.kind]
    assert checked >= minimum, f"{demo.kind}: only {checked} errors recomputed"


def test_bench_position_record_holds_only_its_own_meter(demo: Demo) -> None:
    for position, pdf in demo.records.items():
        if position is None:
            continue
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
        others = {int(n) for n in re.findall(r"表位\s*(\d+)", text)} - {position}
        assert not others, f"{demo.kind} position {position}'s record names positions {sorted(others)}"
        serials = set(re.findall(r"SIM[A-Z]{2}\d{4}", text))
        assert len(serials) == 1, f"{demo.kind} position {position}'s record names meters {sorted(serials)}"
        # the bench-wide readings it uses are there (standard volume / standard pulses / conditions)
        assert re.search(r"标准(器体积|体积|脉冲数)", text), demo.kind


def test_every_reading_of_the_demo_has_a_label(demo: Demo) -> None:
    labels = labels_for(demo.regulation)
    missing: dict[str, set[str]] = defaultdict(set)
    for r in demo.store.readings(demo.run_id):
        term, parts = labels.reading(r.key, r.quantity)
        if term is None and parts.term != "check":
            missing["reading"].add(f"{r.step_key}/{r.key} ({r.quantity})")
        for name in json.loads(r.extra_json or "{}"):
            if name not in labels.ignored_extras and labels.extra(name) is None:
                missing["extra"].add(f"{r.key}.{name}")
        if labels.step(r.step_key)[0] is None:
            missing["step"].add(r.step_key)
        unit = (term.unit if term is not None else "") or labels.unit(r.unit)
        assert unit not in ("degC", "percent", "yuan", "perce nt"), f"{r.key}: unit {unit!r} printed as an identifier"
    assert not missing, dict(missing)
