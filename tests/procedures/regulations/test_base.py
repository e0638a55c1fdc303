"""The shared plumbing of the regulation modules (procedures.regulations.base and bench_steps):
params JSON round trip in the exact forms stored with runs, the from_instrument helpers, the
procedure base (edition checks, rule sources in the hash, default record members) and the
per-position checklist and results shapes.

Hand-worked: pulses_per_l = 100 → 1/100 = 0.01 L/pulse. Judged errors [[+0.51, +0.49], [NaN, NaN]]
with MPE 2 % → position 1 keeps both values, mean +0.50, printed "+0.5", pass; position 2 (fault)
has no values, mean recorded as 0.0, printed "—", n/a.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from procedures.engine import MeasureStep, StepOutcome
from procedures.metrology import water
from procedures.metrology.bench import judge_positions
from procedures.records import MeasurementResult, Verdict
from procedures.regulations import base, bench_steps, charger_procedure, jjg1148
from procedures.regulations.base import pulse_value_l, standard_u95, technical_params
from procedures.regulations.bench_steps import confirm_positions, errors_by_position, position_error_results
from procedures.regulations.charger_procedure import ChargerParams, PostSpec
from procedures.regulations.jjg162 import Jjg162, WaterParams
from procedures.regulations.jjg443 import CanSpec, DispenserSpec, FuelParams, Jjg443
from procedures.regulations.jjg577 import GasMeterSpec, GasParams
from procedures.regulations.jjg596 import MeterParams
from procedures.regulations.jjg1148 import Jjg1148


# -- params ------------------------------------------------------------------------------------------
def _meter_params() -> MeterParams:
    return MeterParams(serials={3: "A3", 1: "A1"}, ib_a=5.0, imax_a=60.0, un_v=220.0, constant_imp_per_kwh=1200.0,
                       accuracy_class="2", clock_hz=1.0, overrides={"creep": {"max_pulses": 1}})


def test_to_dict_keeps_the_stored_forms() -> None:
    fuel = FuelParams(dispenser=DispenserSpec(serial="FD1"), can=CanSpec(serial="C1", scale_mm=(0.0, 130.0)))
    d = fuel.to_dict()
    assert d == {"dispenser": {"serial": "FD1", "qmax_l_min": 60.0, "qmin_l_min": 6.0, "fuel": "gasoline", "nozzle": 1},
                 "can": {"name": "can", "serial": "C1", "nominal_l": 20.0, "h0_mm": 66.0, "d_l_per_mm": 0.002,
                         "material": "stainless", "scale_mm": [0.0, 130.0], "resolution_mm": 0.5, "u95_pct": None},
                 "edition": "2023", "verification_type": "first", "overrides": {}}
    meter = _meter_params().to_dict()
    assert meter["serials"] == {"3": "A3", "1": "A1"} and list(meter)[:2] == ["serials", "ib_a"]
    assert meter["overrides"] == {"creep": {"max_pulses": 1}} and meter["clock_hz"] == 1.0
    charger = ChargerParams(post=PostSpec(serial="P1"), u95_pct=0.1).to_dict()
    assert list(charger) == ["post", "edition", "verification_type", "u95_pct", "overrides", "time_standard"]
    assert charger["post"] == {"accuracy_class": "2", "imax_a": 32.0, "voltage_v": 220.0,
                               "constant_imp_per_kwh": 1000.0, "serial": "P1", "time_of_use": True}


@pytest.mark.parametrize("params", [
    FuelParams(dispenser=DispenserSpec(serial="FD1", fuel="light_diesel"), can=CanSpec(scale_mm=(10.0, 120.0)),
               overrides={"input": "manual"}),
    _meter_params(),
    GasParams(meter=GasMeterSpec(l_per_pulse=None, reading_mode="entry"), serials={2: "G2", 5: "G5"},
              standard_u95_pct=0.2),
    WaterParams(accuracy_class="2", q3_m3_h=2.5, ratio_r=100.0, dn_mm=15, scale_interval_l=0.05, positions=(1, 3),
                serials={1: "W1", 3: "W3"}, l_per_pulse=0.01),
    ChargerParams(post=PostSpec(accuracy_class="1", serial="P1"), edition="2018", u95_pct=None),
])
def test_round_trip_through_json(params: Any) -> None:
    back = type(params).from_dict(json.loads(json.dumps(params.to_dict())))
    assert back == params
    assert type(back) is type(params)


def test_from_dict_fills_defaults_and_rebuilds_types() -> None:
    gas = GasParams.from_dict({"meter": {"accuracy_class": "1.0"}, "serials": {"7": "G7"}, "edition": "2012",
                               "verification_type": "first"})
    assert gas.meter == GasMeterSpec(accuracy_class="1.0") and gas.serials == {7: "G7"} and gas.positions == (7,)
    assert gas.standard_u95_pct is None and gas.overrides == {}
    fuel = FuelParams.from_dict({"dispenser": {}, "can": {"scale_mm": [5.0, 125.0]}, "edition": "2015",
                                 "verification_type": "first"})
    assert fuel.can.scale_mm == (5.0, 125.0) and isinstance(fuel.can.scale_mm, tuple)
    assert CanSpec().scale_mm == FuelParams.from_dict({"dispenser": {}, "can": {}}).can.scale_mm
    water_params = WaterParams.from_dict({"accuracy_class": "2", "q3_m3_h": 2.5, "ratio_r": 100.0, "dn_mm": 15,
                                          "scale_interval_l": 0.05, "positions": [2, 4], "serials": {"2": "a", "4": "b"}})
    assert water_params.positions == (2, 4) and water_params.serials == {2: "a", 4: "b"}


def test_bench_params_positions_and_context() -> None:
    p = _meter_params()
    assert p.positions == (1, 3)
    assert p.context() == {"serials": {"3": "A3", "1": "A1"}}


def test_technical_params_and_pulse_value() -> None:
    assert technical_params(SimpleNamespace(params_json='{"q3_m3_h": 2.5}')) == {"q3_m3_h": 2.5}
    assert technical_params(SimpleNamespace(params_json={"a": 1})) == {"a": 1}
    assert technical_params(SimpleNamespace(params_json=None)) == {} == technical_params(object())
    assert pulse_value_l({"l_per_pulse": 0.1, "pulses_per_l": 100}) == 0.1
    assert pulse_value_l({"pulses_per_l": 100}) == pytest.approx(0.01)
    assert pulse_value_l({}) is None


class _Station:
    def __init__(self, devices: dict[str, Any]) -> None:
        self.devices = devices

    def device_for(self, role: str) -> Any:
        if role not in self.devices:
            raise ValueError(f"no device plays {role}")
        return self.devices[role]


def test_standard_u95() -> None:
    station = _Station({"flow_standard": SimpleNamespace(u95_pct=1), "energy_standard": SimpleNamespace(u95_pct=None)})
    assert standard_u95(station, "flow_standard") == 1.0 and isinstance(standard_u95(station, "flow_standard"), float)
    assert standard_u95(station, "energy_standard") is None
    assert standard_u95(station, "volume_standard", required=False) is None
    with pytest.raises(ValueError, match="volume_standard"):
        standard_u95(station, "volume_standard")


# -- the procedure base ------------------------------------------------------------------------------
def _fuel(**kw: Any) -> Jjg443:
    return Jjg443(FuelParams(dispenser=DispenserSpec(serial="FD1"), can=CanSpec(), **kw))


def test_edition_and_verification_type_checked() -> None:
    with pytest.raises(ValueError, match=r"jjg443 edition '1999' unknown; choose one of"):
        _fuel(edition="1999")
    with pytest.raises(ValueError, match="verification type 'annual' unknown"):
        _fuel(verification_type="annual")
    p = _fuel()
    assert p.code == str(p.table["editions"]["2023"]["code"]) and p.verification_type_zh() == "首次检定"
    assert p.item_keys == list(p.edition["items"])


def test_rule_sources_and_hash() -> None:
    charger = Jjg1148(ChargerParams(post=PostSpec()))
    sources = charger.rule_sources()
    assert sources[:3] == [jjg1148.__file__,
                           charger_procedure.__file__, base.__file__]
    water_meters = Jjg162(WaterParams(accuracy_class="2", q3_m3_h=2.5, ratio_r=100.0, dn_mm=15,
                                      scale_interval_l=0.05, positions=(1,), serials={1: "W1"}, l_per_pulse=0.01))
    assert {water.__file__, bench_steps.__file__} <= set(water_meters.rule_sources())
    assert len(set(water_meters.rule_sources())) == len(water_meters.rule_sources())
    assert _fuel().procedure_hash == _fuel().procedure_hash
    assert _fuel(overrides={"editions": {"2023": {"runs": 2}}}).procedure_hash != _fuel().procedure_hash


def test_default_record_members() -> None:
    p = _fuel()
    outcomes = {
        "env_temperature": StepOutcome(Verdict.NOT_APPLICABLE, data={"temperature_c": 21.5}),
        "display_check": StepOutcome(Verdict.FAIL, data={"flags": ["display"]}),
        "flow_point_1": StepOutcome(Verdict.PASS, data={"flags": ["dt 1"]}),
        "flow_point_2": StepOutcome(Verdict.PASS, data={"flags": ["flow 2"]}),
    }
    assert p.environment(outcomes) == {"temperature_c": 21.5, "humidity_pct": None}
    assert p.flags(outcomes) == ("dt 1", "flow 2", "display")  # in step order, not in the outcomes' order
    assert p.signed_meter_values(outcomes) is None


# -- bench step shapes -------------------------------------------------------------------------------
class _Ctx:
    """What the shared shapes use of a step context: the checklist prompt and result publishing."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.asked: list[tuple[str, list[str]]] = []
        self.recorded: list[MeasurementResult] = []

    async def ask_checklist(self, title: str, points: list[str]) -> dict[str, bool]:
        self.asked.append((title, points))
        return {p: p not in self.refuse for p in points}

    def record(self, item: str, result: MeasurementResult) -> None:
        self.recorded.append(result)


async def _body(ctx: Any, step: MeasureStep) -> StepOutcome:
    return StepOutcome(Verdict.NOT_APPLICABLE)


async def test_confirm_positions_fails_only_the_refused_position() -> None:
    ctx = _Ctx(refuse={"pos 2"})
    step = MeasureStep("appearance", "外观检查", "appearance", [], _body)
    checks = await confirm_positions(ctx, step, "T", {1: "pos 1", 2: "pos 2"},  # type: ignore[arg-type]
                                     label=lambda pos: f"表位 {pos}", note=lambda pos: f"note {pos}", scored=True)
    assert ctx.asked == [("T", ["pos 1", "pos 2"])]
    assert [(r.position, r.verdict, r.values, r.rounded, r.label, r.name) for r in checks.results] == [
        (1, Verdict.PASS, (1.0,), "符合", "表位 1", "外观检查"), (2, Verdict.FAIL, (0.0,), "不符合", "表位 2", "外观检查")]
    assert checks.verdict is Verdict.FAIL and checks.answers == {1: True, 2: False}
    assert checks.notes_by_key() == {"2": "note 2"} and len(ctx.recorded) == 2
    quiet = _Ctx(refuse=set())
    unscored = await confirm_positions(quiet, step, "T", {4: "pos 4"}, label=str,  # type: ignore[arg-type]
                                       note=str, scored=False, record=False)
    r = unscored.results[0]
    assert (r.values, r.mean, r.rounded, r.verdict) == ((), 0.0, "合格", Verdict.PASS) and quiet.recorded == []
    assert unscored.verdict is Verdict.PASS and unscored.notes == {}


def test_position_error_results() -> None:
    ctx = _Ctx(refuse=set())
    step = MeasureStep("q3", "示值误差 Q3", "indication_error", [], _body)
    errors = np.array([[0.51, 0.49], [np.nan, np.nan]])
    judged = judge_positions(errors, "0.1", 2.0, None)
    results = position_error_results(ctx, step, [1, 2], errors, judged, label="Q3 2.4 m³/h", mpe=2.0,  # type: ignore[arg-type]
                                     u95=0.3)
    one, two = results
    assert (one.values, one.rounded, one.verdict, one.position, one.uncertainty) == ((0.51, 0.49), "+0.5", Verdict.PASS,
                                                                                     1, 0.3)
    assert one.mean == pytest.approx(0.50)
    assert (two.values, two.mean, two.rounded, two.verdict) == ((), None, "—", Verdict.NOT_APPLICABLE)  # no number invented
    assert ctx.recorded == results
    assert errors_by_position(errors, [1, 2]) == {"1": [0.51, 0.49], "2": [None, None]}
