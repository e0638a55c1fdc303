"""A multi-position flow bench (water meters JJG 162, diaphragm gas meters JJG 577) over Modbus TCP or
RTU, driven by its register map (``drivers/meters/maps/jianding_sim_flow_bench.toml`` documents the
protocol).

:class:`ModbusFlowBench` plays two roles of :mod:`drivers.roles` on one link:

* ``FlowBench`` — :meth:`~ModbusFlowBench.run_test` writes setpoint, volume and start in one FC16
  request, polls the run state with a deadline derived from the volume and the flow, and reads every
  position's pulse count (15 positions per request for this map) and the mean conditions;
  :meth:`~ModbusFlowBench.stop_flow` closes the valves (idempotent);
* ``FlowStandard`` — the bench's own standard: its master meter (water, kind ``master_meter``) or its
  bell prover / standard gas meter (gas, kind ``bell_prover`` / ``standard_meter``), from the
  station's ``standard_kind`` or else the bench's ``standard_kind`` register.

Per-position results: ``PositionReading.dut_pulses`` is the meter's pulse count over the test and
``std_constant`` the position's pulse constant in imp/L as the bench reports it (so the meter's
volume is dut_pulses / std_constant); ``std_pulses`` is 0 — the bench's standard has no pulse train
per position; its volume comes from :meth:`measured`.

Waiting for a test: the driver polls the run state and, while the bench says it is flowing, the
bench's measured flow. A bench that delivers no flow (pump or valve stuck, line blocked: the flow
reads below ``no_flow_fraction`` × the setpoint for ``no_flow_s`` seconds while running) is stopped
and raises :class:`~drivers.errors.NoFlow` naming the device — within seconds, not after the
test's deadline. The deadline (``volume/flow × deadline_factor + deadline_margin_s``, from the
setpoint, never from a floor flow) stays as a backstop for a bench that flows but never finishes.

Pressure loss: where the map has the position register ``pressure_loss`` (Pa, the differential
pressure across each meter over the last test), :meth:`~ModbusFlowBench.read_readings` carries it
in ``PositionReading.pressure_loss_pa``.

Faults: a whole-bench fault (no answer, CRC/garbage, refused request, the bench's own fault state,
no flow, a test that does not finish in time) raises a typed error naming the device; a
*position's* fault never does — it comes back in ``PositionReading.fault`` as "表位 3: 无脉冲 (no
pulses)".
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

from drivers.errors import DeviceRefused, DeviceTimeout, NoFlow, ProtocolError
from drivers.meters.register_map import PositionSpan, RegisterMap, load_map
from drivers.roles import FlowConditions, FlowTestRun, PositionReading, StandardVolume
from drivers.transports.modbus import ModbusConfig, ModbusTransport

IDLE, PREPARING, RUNNING, STOPPING, DONE, FAULT = 0, 1, 2, 3, 4, 5

FIXED_QUANTITIES: tuple[str, ...] = (
    "measured_flow", "medium_temperature", "medium_pressure", "ambient_temperature", "ambient_pressure",
    "ambient_humidity", "std_volume", "std_temperature", "std_pressure", "run_duration", "mean_flow",
    "mean_temperature", "mean_pressure", "run_state", "bench_fault", "medium_kind", "standard_kind",
    "flow_setpoint", "target_volume", "run_control",
)
POSITION_QUANTITIES: tuple[str, ...] = ("fault_code", "test_pulses", "pulse_constant")
_NOW = ("measured_flow", "medium_temperature", "medium_pressure", "ambient_temperature", "ambient_pressure",
        "ambient_humidity")
_MEAN = ("run_duration", "mean_flow", "mean_temperature", "mean_pressure", "ambient_temperature",
         "ambient_pressure", "ambient_humidity")
_STANDARD = ("std_volume", "std_temperature", "std_pressure", "run_state")
_KINDS = {"water": ("master_meter",), "gas": ("bell_prover", "standard_meter")}


class ModbusFlowBench:
    """Multi-position flow bench on Modbus TCP or RTU, described by a :class:`RegisterMap`.

    ``name`` is the device's name in the station file (it appears in every error); ``positions`` is
    how many positions the station uses (None: as many as the bench reports installed, taken on
    :meth:`connect`); ``medium`` ("water" | "gas") is checked against the bench on
    :meth:`connect`. ``standard_kind`` (None: as the bench reports) and ``resolution_l`` describe
    the bench's standard. A test's deadline is ``volume/flow × deadline_factor + deadline_margin_s``;
    a running test whose flow stays below ``no_flow_fraction`` × the setpoint for ``no_flow_s``
    (wall) seconds is stopped as :class:`~drivers.errors.NoFlow`.
    """

    def __init__(self, name: str, register_map: RegisterMap, transport: ModbusTransport, positions: int | None, *,
                 medium: str = "water", standard_kind: str | None = None, resolution_l: float = 0.001,
                 poll_s: float = 0.05, deadline_factor: float = 1.5, deadline_margin_s: float = 30.0,
                 no_flow_s: float = 5.0, no_flow_fraction: float = 0.1) -> None:
        self.name = name
        self.register_map = register_map
        self.transport = transport
        missing = register_map.missing(FIXED_QUANTITIES)
        if register_map.positions is None or not register_map.has_position(*POSITION_QUANTITIES):
            missing.append("[position_registers] " + ", ".join(POSITION_QUANTITIES))
        if missing:
            raise ValueError(f"{name}: register map {register_map.source} ({register_map.title}) is not a "
                             f"flow-bench map: it has no {', '.join(missing)}")
        block = register_map.position_block()
        if positions is not None and (isinstance(positions, bool) or not isinstance(positions, int)
                                      or not 1 <= positions <= block.count):
            raise ValueError(f"{name}: positions must be 1..{block.count} for {register_map.title}, not {positions!r}")
        if medium not in _KINDS:
            raise ValueError(f'{name}: medium must be "water" or "gas", not {medium!r}')
        if standard_kind is not None and standard_kind not in _KINDS[medium]:
            raise ValueError(f"{name}: standard_kind for {medium} must be one of {', '.join(_KINDS[medium])}, "
                             f"not {standard_kind!r}")
        if not (poll_s > 0 and resolution_l > 0 and deadline_factor >= 1 and deadline_margin_s >= 0):
            raise ValueError(f"{name}: poll_s and resolution_l must be positive, deadline_factor >= 1")
        if not (no_flow_s > 0 and 0 < no_flow_fraction < 1):
            raise ValueError(f"{name}: no_flow_s must be positive and no_flow_fraction within (0, 1)")
        self.positions = positions or 0
        self._max_positions = block.count
        self.medium = medium
        self.kind = standard_kind or _KINDS[medium][0]
        self._kind_fixed = standard_kind is not None
        self.resolution = float(resolution_l)
        self.settle_timeout_s = 0.0  # FlowStandard: the bench's standard answers at once after a test
        self.poll_s = float(poll_s)
        self.deadline_factor = float(deadline_factor)
        self.deadline_margin_s = float(deadline_margin_s)
        self.no_flow_s = float(no_flow_s)
        self.no_flow_fraction = float(no_flow_fraction)
        self._quantities = POSITION_QUANTITIES + (("pressure_loss",) if register_map.has_position("pressure_loss")
                                                  else ())
        if transport.label == "Modbus device":
            transport.label = f"流量检定装置 {register_map.title}"
        self._plans: dict[tuple[str, ...], list[Any]] = {}
        self._pos_plans: dict[tuple[str, ...], list[PositionSpan]] = {}

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, Any], positions: int | None = None) -> ModbusFlowBench:
        """Build from a station-file section: ``map``, Modbus keys (``transport``, ``host``/``port``
        or serial ``port``/``baudrate``/``parity``, ``device_id``, ``timeout_s``, ``retries``),
        ``medium``, optional ``standard_kind``, ``master_resolution_l``, ``poll_s``,
        ``deadline_margin_s``, ``no_flow_s``, ``no_flow_fraction``; ``positions`` from the section,
        the argument, or (neither) the bench's installed count on connect."""
        if "map" not in cfg:
            raise ValueError(f"{name}: station section needs map = <register map name or file>")
        n = cfg.get("positions", positions)
        try:
            config = ModbusConfig.from_dict(cfg)
            kind = cfg.get("standard_kind")
            kwargs = {"medium": str(cfg.get("medium", "water")),
                      "standard_kind": str(kind) if kind else None,
                      "resolution_l": float(cfg.get("master_resolution_l", 0.001)),
                      "poll_s": float(cfg.get("poll_s", 0.05)),
                      "deadline_margin_s": float(cfg.get("deadline_margin_s", 30.0)),
                      "no_flow_s": float(cfg.get("no_flow_s", 5.0)),
                      "no_flow_fraction": float(cfg.get("no_flow_fraction", 0.1))}
            count = None if n is None else int(n)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: {exc}") from exc
        return cls(name, load_map(cfg["map"]), ModbusTransport(name, config), count, **kwargs)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return (f"ModbusFlowBench({self.name!r}, {self.register_map.title}, {self.medium}, {self.positions} "
                f"positions, {self.transport.config.endpoint()})")

    @property
    def title(self) -> str:
        """Maker and model of the bench controller, for messages."""
        return self.register_map.title

    # ------------------------------------------------------------------ generic access
    async def read_quantities(self, *quantities: str) -> dict[str, int | float]:
        """Read fixed quantities in as few requests as the map allows."""
        spans = self._plans.get(quantities)
        if spans is None:
            spans = self._plans[quantities] = self.register_map.plan_reads(quantities)
        out: dict[str, int | float] = {}
        for span in spans:
            regs = await self.transport.read_registers(span.table, span.address, span.count)
            out.update(self.register_map.decode_span(span, regs))
        return out

    async def write_quantities(self, values: Mapping[str, float]) -> None:
        """Write fixed quantities in the order given (adjacent registers in one request)."""
        for address, regs in self.register_map.plan_writes(values):
            await self.transport.write_registers(address, regs)

    async def read_positions(self, *quantities: str) -> dict[int, dict[str, int | float]]:
        """Per-position quantities of positions 1..``positions``, many positions per request."""
        spans = self._pos_plans.get(quantities)
        if spans is None:
            spans = self._pos_plans[quantities] = self.register_map.plan_position_reads(quantities, self.positions)
        out: dict[int, dict[str, int | float]] = {}
        for span in spans:
            regs = await self.transport.read_registers(span.table, span.address, span.count)
            out.update(self.register_map.decode_position_span(span, regs))
        return out

    def _label(self, quantity: str, code: int) -> str:
        return self.register_map.enum_label(quantity, code) or f"代码 {code} (unknown code {code})"

    # ------------------------------------------------------------------ Device
    async def connect(self) -> None:
        """Open the link; check the bench's medium, its positions and (unless the station fixes it)
        take the standard's kind from the bench. ``DeviceRefused`` when the bench does not match."""
        await self.transport.connect()
        v = await self.read_quantities("medium_kind", "standard_kind", "positions_installed")
        medium = self.register_map.enum_label("medium_kind", int(v["medium_kind"]))
        if medium != self.medium:
            raise DeviceRefused(self.name, f"{self.title}: 介质不符 (the bench runs {medium or v['medium_kind']}, "
                                           f"the station file says {self.medium}) — correct medium in the station file")
        installed = int(v["positions_installed"])
        if not self.positions:
            self.positions = min(installed, self._max_positions)
            self._pos_plans.clear()
        if installed < self.positions:
            raise DeviceRefused(self.name, f"{self.title}: 表位数与装置不符 (the station file uses {self.positions} "
                                           f"positions, the bench has {int(v['positions_installed'])})")
        kind = self.register_map.enum_label("standard_kind", int(v["standard_kind"]))
        if not self._kind_fixed and kind in _KINDS[self.medium]:
            self.kind = kind

    async def close(self) -> None:
        """Release the link; never raises."""
        try:
            await self.transport.close()
        except Exception:  # close must never raise
            pass

    # ------------------------------------------------------------------ FlowBench
    async def conditions(self) -> FlowConditions:
        """Flow, medium temperature and pressure at the meters, and the laboratory's air, now."""
        v = await self.read_quantities(*_NOW)
        return FlowConditions(float(v["measured_flow"]), float(v["medium_temperature"]),
                              float(v["medium_pressure"]), float(v["ambient_temperature"]),
                              float(v["ambient_pressure"]), float(v["ambient_humidity"]))

    def test_deadline_s(self, flow_m3_h: float, volume_l: float) -> float:
        """How long :meth:`run_test` waits for the valves to close again: the nominal flowing time
        volume/flow times ``deadline_factor``, plus ``deadline_margin_s`` for preparing and stopping."""
        return volume_l / 1000.0 / flow_m3_h * 3600.0 * self.deadline_factor + self.deadline_margin_s

    async def run_test(self, flow_m3_h: float, volume_l: float) -> FlowTestRun:
        """One start-stop test of about ``volume_l`` L at ``flow_m3_h``; returns once the valves have
        closed, with every position's count (faulty positions carry ``fault``) and the mean
        conditions. ``DeviceRefused`` for a refused setpoint or a bench fault, ``NoFlow`` when the
        bench runs without flow for ``no_flow_s`` s, ``DeviceTimeout`` when the test does not finish
        in time (the valves are closed first in both)."""
        if not (math.isfinite(flow_m3_h) and math.isfinite(volume_l) and flow_m3_h > 0 and volume_l > 0):
            raise ValueError(f"{self.name}: flow and volume must be positive, not {flow_m3_h!r} m³/h, {volume_l!r} L")
        what = f"{volume_l:g} L at {flow_m3_h:g} m³/h"
        await self.write_quantities({"flow_setpoint": flow_m3_h, "target_volume": volume_l, "run_control": 1})
        loop = asyncio.get_running_loop()
        limit = self.test_deadline_s(flow_m3_h, volume_l)
        deadline = loop.time() + limit
        dry_since: float | None = None  # when the flow was last seen missing while running
        while True:
            v = await self.read_quantities("run_state", "bench_fault")
            state = int(v["run_state"])
            if state == DONE:
                break
            if state == RUNNING:
                flow = float((await self.read_quantities("measured_flow"))["measured_flow"])
                if flow >= self.no_flow_fraction * flow_m3_h:
                    dry_since = None
                elif dry_since is None:
                    dry_since = loop.time()
                elif loop.time() - dry_since >= self.no_flow_s:
                    await self.stop_flow()
                    raise NoFlow(self.name, f"{self.title}: 无流量 (no flow): 设定 {flow_m3_h:g} m³/h, 实测 {flow:.4g} "
                                            f"m³/h 已持续 {self.no_flow_s:g} s — 泵或阀门卡滞? 阀门已关闭, 检查泵、阀门和管路后"
                                            f"继续 (the test of {what} runs without flow: pump or valve stuck? valves "
                                            "closed; check the pump, the valves and the line, then resume)")
            if state == FAULT:
                raise DeviceRefused(self.name, f"{self.title}: 装置故障 (bench fault) during the test of {what}: "
                                               f"{self._label('bench_fault', int(v['bench_fault']))} — valves closed")
            if state == IDLE:
                raise ProtocolError(self.name, f"{self.title}: 试验被中止 (the test of {what} stopped without "
                                               "finishing: valves closed by the bench)")
            remaining = deadline - loop.time()
            if remaining <= 0:
                await self.stop_flow()
                raise DeviceTimeout(self.name, f"{self.title}: 试验未在 {limit:g} s 内完成 (the test of {what} did "
                                               f"not finish; last state: {self._label('run_state', state)}) — "
                                               "valves closed; check the flow line")
            await asyncio.sleep(min(self.poll_s, remaining))
        mean = await self.read_quantities(*_MEAN)
        readings = await self.read_readings()
        conditions = FlowConditions(float(mean["mean_flow"]), float(mean["mean_temperature"]),
                                    float(mean["mean_pressure"]), float(mean["ambient_temperature"]),
                                    float(mean["ambient_pressure"]), float(mean["ambient_humidity"]))
        return FlowTestRun(tuple(readings), conditions, float(mean["run_duration"]), float(volume_l))

    async def read_readings(self) -> list[PositionReading]:
        """Every position's count over the last test (index 0 = position 1), with its fault."""
        v = await self.read_positions(*self._quantities)
        out: list[PositionReading] = []
        for p in range(1, self.positions + 1):
            r = v[p]
            code, pulses, k = int(r["fault_code"]), int(r["test_pulses"]), float(r["pulse_constant"])
            dp = float(r["pressure_loss"]) if "pressure_loss" in r and code != 0x80 else None
            if code:
                out.append(PositionReading(p, None, None, k, f"表位 {p}: {self._label('fault_code', code)}", dp))
            elif pulses <= 0:
                out.append(PositionReading(p, None, None, k, f"表位 {p}: 无脉冲 (no pulses)", dp))
            else:
                out.append(PositionReading(p, pulses, 0, k, "", dp))
        return out

    async def stop_flow(self) -> None:
        """Close the valves (teardown path); idempotent."""
        await self.write_quantities({"run_control": 0})

    # ------------------------------------------------------------------ FlowStandard
    async def begin(self) -> None:
        """The bench zeroes its standard at the start of every test; here only check that no test
        is running (``DeviceRefused`` if one is)."""
        state = int((await self.read_quantities("run_state"))["run_state"])
        if state in (PREPARING, RUNNING, STOPPING):
            raise DeviceRefused(self.name, f"{self.title}: 试验进行中 (a test is running; stop it first)")

    async def measured(self) -> StandardVolume:
        """The standard's volume over the last test, with temperature and pressure at the standard
        (``ProtocolError`` if the last test did not finish)."""
        v = await self.read_quantities(*_STANDARD)
        if int(v["run_state"]) != DONE:
            raise ProtocolError(self.name, f"{self.title}: 没有完成的试验 (no finished test: "
                                           f"{self._label('run_state', int(v['run_state']))})")
        return StandardVolume(self.kind, float(v["std_volume"]), None, float(v["std_temperature"]),
                              float(v["std_pressure"]))
