"""The ``[sim]`` section of a station file: whether the twins run (a boolean, never a string), their
speed and seed, and one strict table per twin (``[sim.ac_post]``, ``[sim.flow_bench]`` …) with the
keys bench/simhost.py hands that twin — behaviour and injected faults alike. Any other key is refused,
naming the file, the section and the key.

To give a twin a new key (a fault, a behaviour): add a field to its model below (and a line to
docs/station-file.md); to add a twin: a model and a field of :class:`SimSection` named for its table.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt

from bench.sim_faults import SimFault
from bench.station_types import Bool, Key, NonNegative, Number, Percent, Positions, Positive, Strict, Text

Numbers = Number | list[Number]  # one value for every position, or one per position
PositionList = list[Annotated[StrictInt, Field(ge=1, le=1000)]]


class TariffRow(Strict):
    """One period of a post's time-of-use tariff."""

    name: Text
    start: Text
    price: NonNegative


class AcPostSim(Strict):
    """``[sim.ac_post]`` — the OCPP charging post twin (hardware_sim/ac_post.py)."""

    vendor: Text | None = None
    model: Text | None = None
    ocpp_version: Literal["1.6", "2.0.1"] | None = None
    error_pct: Number | None = None
    noise_pct: NonNegative | None = None
    clock_offset_s: Number | None = None
    clock_rate_error_pct: Number | None = None
    adopt_csms_time: Bool | None = None
    boot_on_connect: Bool | None = None
    price_yuan_per_kwh: NonNegative | None = None
    service_fee_yuan_per_kwh: NonNegative | None = None
    tariff: list[TariffRow] | None = None
    sign: Bool | None = None
    meter_serial: Text | None = None
    ocmf_page_per: Literal["record", "transaction"] | None = None
    # faults
    amount_error_yuan: Number | None = None
    no_current: Bool | None = None
    tamper_signed: Bool | None = None


class ReferenceSim(Strict):
    """``[sim.reference]`` — the reference meter twin (hardware_sim/ref_meter.py)."""

    error_pct: Number | None = None
    constant_imp_per_kwh: Positive | None = None


class DcChargerSim(Strict):
    """``[sim.dc_charger]`` — the GB/T 27930 DC charger twin (hardware_sim/dc_charger.py)."""

    charger_number: Text | None = None
    max_voltage_v: Positive | None = None
    max_current_a: Positive | None = None
    no_current: Bool | None = None


class DispenserSim(Strict):
    """``[sim.dispenser]`` — the fuel dispenser twin (hardware_sim/fuel_dispenser.py)."""

    vendor: Text | None = None
    model: Text | None = None
    software_id: Text | None = None
    error_pct: Number | None = None
    noise_pct: NonNegative | None = None
    price_yuan_per_l: NonNegative | None = None
    pulses_per_l: Positive | None = None
    flow_factor: Positive | None = None
    fuel_temperature_c: Number | None = None
    fuel_temperature_noise_c: NonNegative | None = None
    # faults
    amount_error_yuan: Number | None = None
    stuck_display: Bool | None = None
    no_flow: Bool | None = None


class CanSim(Strict):
    """``[sim.can]`` — the standard metal can twin's thermometer."""

    temperature_offset_c: Number | None = None
    temperature_noise_c: NonNegative | None = None


class FlowBenchSim(Strict):
    """``[sim.flow_bench]`` — the water or gas meter bench twin (hardware_sim/flow_bench.py)."""

    positions: Positions | None = None
    ambient_temperature_c: Number | None = None
    ambient_pressure_kpa: Positive | None = None
    ambient_humidity_pct: Percent | None = None
    water_temperature_c: Number | None = None
    gas_temperature_c: Number | None = None
    standard_temperature_c: Number | None = None
    standard_pressure_kpa: Positive | None = None
    pressure_kpa: Positive | None = None
    pressure_loss_pa: Numbers | None = None
    max_flow_m3_h: Positive | None = None
    error_curve_pct: dict[Key, Number] | None = None
    curves: dict[Key, dict[Key, Number]] | None = None
    position_offsets_pct: list[Number] | None = None
    noise_pct: NonNegative | None = None
    master_error_pct: Number | None = None
    # faults
    no_pulses: PositionList | None = None
    stuck: PositionList | None = None
    dead: PositionList | None = None
    dropout_pct: dict[Key, Percent] | None = None
    bench_fault: Annotated[StrictInt, Field(ge=0)] | None = None
    no_flow: Bool | None = None


class ScaleSim(Strict):
    """``[sim.scale]`` — the weighing instrument twin (hardware_sim/scale.py)."""

    capacity_kg: Positive | None = None
    interval_kg: Positive | None = None
    settle_s: NonNegative | None = None
    drift_kg_min: Number | None = None
    unstable_s: NonNegative | None = None


class MeterBenchSim(Strict):
    """``[sim.meter_bench]`` — the electricity-meter bench twin (hardware_sim/meter_bench.py) and its
    meters' DL/T 645 line (hardware_sim/dlt645_meters.py)."""

    errors_pct: Numbers | None = None
    element_errors_pct: dict[Key, list[Number]] | None = None
    noise_pct: NonNegative | None = None
    std_constant: Positive | None = None
    std_error_pct: Number | None = None
    settle_s: NonNegative | None = None
    clock_errors_s_per_day: Numbers | None = None
    registers_kwh: Annotated[Number, Field(ge=0)] | list[Annotated[Number, Field(ge=0)]] | None = None
    # faults
    stuck: PositionList | None = None
    dead: PositionList | None = None
    dropouts: dict[Key, Number] | None = None
    no_current: Bool | None = None
    register_error_pct: dict[Key, Number] | None = None
    silent_meters: PositionList | None = None
    meter_error_replies: dict[Key, Annotated[StrictInt, Field(ge=0, le=255)]] | None = None


class SimSection(Strict):
    """``[sim]``: whether twins run, which demo kind, their speed and seed, and one table per twin."""

    enabled: Bool = False
    kind: Literal["ac", "dc", "fuel", "water", "gas", "meter"] | None = None
    speed: Positive | None = None
    seed: StrictInt | None = None
    ac_post: AcPostSim | None = None
    reference: ReferenceSim | None = None
    dc_charger: DcChargerSim | None = None
    dispenser: DispenserSim | None = None
    can: CanSim | None = None
    flow_bench: FlowBenchSim | None = None
    scale: ScaleSim | None = None
    meter_bench: MeterBenchSim | None = None
    faults: list[SimFault] = Field(default_factory=list)  # [[sim.faults]] (bench/sim_faults.py; cross-checks there)
