"""The run page's live panel (gui/views/live_panel.py): each step shows its own quantities in the
technician's terms with units and the regulation's decimals (never one axis for everything), the
errors of the test points against their ±MPE band, a bench's positions as bars at the current point,
and a burst of readings drawn once (the coalescing that keeps a 96-position bench responsive)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.views.live_panel import LivePanel
from procedures.engine import LiveValues, MeasurementRecorded, ReadingTaken, RunStarted, StepStarted
from procedures.records import MeasurementResult, Verdict


def _panel(qtbot: QtBot, code: str = "JJG 1148-2022") -> LivePanel:
    panel = LivePanel()
    qtbot.addWidget(panel)
    panel.see(RunStarted(run_id="r", procedure=code, total_steps=5))
    return panel


def _step(key: str, title: str = "") -> StepStarted:
    return StepStarted(run_id="r", step_key=key, title=title or key, index=0, total=5)


def _reading(step: str, key: str, quantity: str, value: float, unit: str, **extra: object) -> ReadingTaken:
    return ReadingTaken(run_id="r", step_key=step, key=key, quantity=quantity, value=value, unit=unit,
                        source="bench", extra=dict(extra))


def _result(label: str, rounded: str, mpe: float, verdict: Verdict, position: int | None = None) -> MeasurementResult:
    return MeasurementResult(name="工作误差", label=label, unit="%", values=(float(rounded),), mean=float(rounded),
                             rounded=rounded, mpe=mpe, verdict=verdict, position=position)


def test_environment_step_shows_each_quantity_in_its_own_tile_with_its_unit(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.see(_step("env_temperature", "环境温度"))
    panel.see(_reading("env_temperature", "temperature_c", "temperature_c", 22.04, "degC"))
    panel.see(_reading("env_temperature", "humidity_pct", "humidity_pct", 55.4, "percent"))
    panel.redraw()
    assert panel.shown["temperature_c"].caption == "环境温度 t"  # the technician's term, never "temperature_c"
    assert (panel.shown["temperature_c"].value, panel.shown["temperature_c"].unit) == ("22.0", "°C")  # 1 decimal
    assert (panel.shown["humidity_pct"].value, panel.shown["humidity_pct"].unit) == ("55", "%")  # 0 decimals
    assert not panel.error_plot.isVisibleTo(panel) and not panel.bench_plot.isVisibleTo(panel)  # no plot at all
    assert panel.heading.text() == "环境温度"
    panel.see(_step("appearance", "外观及功能检查"))  # the next step starts with its own quantities
    assert panel.shown == {}


def test_error_step_shows_u_i_p_live_and_errors_against_the_mpe_band(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.see(_step("working_error_1", "工作误差 Imax"))
    point = "Imax (32 A, cosφ=1)"
    panel.see(LiveValues(run_id="r", step_key="working_error_1", point=point,
                         values={"voltage_v": (220.04, "V"), "current_a": (31.996, "A"), "power_w": (7040.4, "W")}))
    panel.redraw()
    shown = {k: (v.caption, v.value, v.unit) for k, v in panel.shown.items()}
    assert shown["voltage_v"] == ("电压 U", "220.0", "V")
    assert shown["current_a"] == ("电流 I", "32.00", "A")
    assert shown["power_w"] == ("有功功率 P", "7.040", "kW")  # W stored, printed in kW with 3 decimals
    assert panel.heading.text() == f"工作误差 第 1 点  ·  {point}"
    panel.see(LiveValues(run_id="r", step_key="working_error_1", point=point, error=0.3512, mpe=2.0))
    panel.see(LiveValues(run_id="r", step_key="working_error_1", point=point, error=0.3009, mpe=2.0))
    panel.see(MeasurementRecorded(run_id="r", step_key="working_error_1", item="working_error",
                                  result=_result(point, "+0.4", 2.0, Verdict.PASS)))
    panel.see(MeasurementRecorded(run_id="r", step_key="working_error_2", item="working_error",
                                  result=_result("Imin (3.2 A, cosφ=1)", "+2.4", 2.0, Verdict.FAIL)))
    panel.redraw()
    [imax, imin] = panel.points
    assert (imax.label, imax.mpe, imax.repetitions, imax.error, imax.passed) == (point, 2.0, [0.3512, 0.3009], 0.4, True)
    assert (imin.error, imin.passed) == (2.4, False)
    assert panel.error_plot.isVisibleTo(panel) and not panel.bench_plot.isVisibleTo(panel)
    band = [i for i in panel.error_plot.getPlotItem().items if type(i).__name__ == "BarGraphItem"]
    assert band and list(band[0].opts["height"]) == [4.0, 4.0]  # ±2.0 % around each point
    assert panel.error_plot.getPlotItem().getAxis("left").labelText == "工作误差 (%)"


def test_a_bench_shows_the_current_points_errors_per_position_and_draws_a_burst_once(qtbot: QtBot) -> None:
    panel = _panel(qtbot, "JJG 596-2012")
    panel.see(_step("basic_error_1"))
    panel.see(LiveValues(run_id="r", step_key="basic_error_1", point="Ib cosφ=1", mpe=1.0,
                         values={"un_v": (220.0, "V"), "current_a": (5.0, "A")}))
    panel.redraw()
    before = panel.redraws
    with qtbot.waitSignal(panel.redrawn, timeout=2000):
        for pos in range(1, 97):  # 96 gates finishing together
            panel.see(_reading("basic_error_1", f"p{pos:02d}:r1", "error", 0.01 * pos, "%"))
        assert panel.redraws == before  # nothing drawn inside the burst
    assert panel.redraws == before + 1  # then once
    assert len(panel.bars) == 96 and panel.bars[96] == 0.96 and panel.bench_mpe == 1.0
    assert "p01:r1" not in panel.shown and "error" not in panel.shown  # positions are bars, not 96 tiles
    assert panel.bench_plot.isVisibleTo(panel) and not panel.error_plot.isVisibleTo(panel)
    bars = [i for i in panel.bench_plot.getPlotItem().items if type(i).__name__ == "BarGraphItem"]
    brushes = [b.color().name() for b in bars[0].opts["brushes"]]
    assert brushes.count("#c62828") == 0  # every error within ±1.0 %
    panel.see(MeasurementRecorded(run_id="r", step_key="basic_error_1", item="basic_error",
                                  result=_result("Ib cosφ=1", "+1.2", 1.0, Verdict.FAIL, position=7)))
    panel.redraw()
    assert panel.bars[7] == 1.2
    bars = [i for i in panel.bench_plot.getPlotItem().items if type(i).__name__ == "BarGraphItem"]
    assert [b.color().name() for b in bars[0].opts["brushes"]].count("#c62828") == 1  # position 7 out of its MPE
    panel.see(MeasurementRecorded(run_id="r", step_key="basic_error_2", item="basic_error",
                                  result=_result("0.1Ib cosφ=1", "+0.2", 1.0, Verdict.PASS, position=1)))
    assert panel.bench_point == "0.1Ib cosφ=1" and panel.bars == {1: 0.2}  # a new point starts its own chart


def test_a_new_run_drops_a_pending_redraw(qtbot: QtBot) -> None:
    panel = _panel(qtbot)
    panel.see(_step("working_error_1"))
    panel.see(LiveValues(run_id="r", step_key="working_error_1", point="Imax", error=0.1, mpe=2.0))
    panel.clear()
    qtbot.wait(panel.REDRAW_MS * 3)
    assert panel.redraws == 0 and panel.points == [] and panel.shown == {}


def test_a_new_quantity_takes_the_tile_read_longest_ago_in_its_place(qtbot: QtBot) -> None:
    panel = _panel(qtbot, "JJG 443-2023")
    panel.see(_step("flow_point_1", "示值误差 Q1"))
    terms = ["ambient_start_c", "drain_s", "interface", "flow_l_min", "amount_yuan", "price_yuan_per_l",
             "duration_s", "transaction"]
    for i, term in enumerate(terms):
        panel.see(_reading("flow_point_1", f"r1:{term}", term, float(i), "L"))
    panel.see(_reading("flow_point_1", "r1:ambient_start_c", "ambient_start_c", 23.5, "degC"))  # read again
    panel.see(_reading("flow_point_1", "r1:v_j", "v_j", 20.0, "L"))  # the verifier reads the display
    assert list(panel.shown)[:3] == ["ambient_start_c", "v_j", "interface"]  # drain_s gave up its place
    assert (panel.shown["v_j"].caption, panel.shown["v_j"].value) == ("加油机示值 V_J", "20.00")
