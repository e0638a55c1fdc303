"""Starts the hardware_sim twins a station's [sim] section asks for, on loopback, in a thread of
their own (its own asyncio loop), so the workstation's drivers talk to them over real Modbus TCP,
a real WebSocket, a virtual CAN bus or a pseudo-terminal serial line exactly as they would to
hardware. ``[sim] kind = "fuel"`` starts a fuel dispenser twin (JD-DSP/1 over a ``PtyLink``) and
the standard metal can it delivers into; ``kind = "water"`` / ``"gas"`` a flow-bench twin (and for
water a weighing-scale twin on a ``PtyLink``) sharing one flow physics."""

from __future__ import annotations

import asyncio
import math
import threading
import uuid
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from bench.station import Station


def use_ephemeral_ports(station: Station) -> None:
    """With twins on both ends of every link, each server binds port 0 (a free port chosen by the
    kernel at bind time, so concurrent runs never collide) and reports the port it bound; a
    python-can virtual bus gets a channel name of its own for the same reason."""
    for dev in station.devices:
        if dev.driver == "gbt27930_bms":
            if dev.config.get("interface", "virtual") == "virtual":
                dev.config["channel"] = f"jianding-{uuid.uuid4().hex[:10]}"
        elif dev.driver in ("serial_dispenser", "sics_scale", "dlt645", "manual"):
            continue  # serial: the twin's pseudo-terminal replaces the port (SimHost); manual: no link
        elif dev.config.get("transport", "tcp") == "rtu":
            continue  # Modbus RTU: a pseudo-terminal pair replaces the serial port (SimHost)
        elif dev.config.get("transport", "tcp") == "tcp":
            dev.config["port"] = 0


class SimHost:
    """The twins of one station, sharing one simulated physics (hardware_sim.physics.Rig)."""

    def __init__(self, station: Station, sim_overrides: dict[str, Any] | None = None, *, resumed: bool = False) -> None:
        from hardware_sim.physics import Rig

        self.station = station
        self.resumed = resumed  # a resumed run: only [[sim.faults]] marked on_resume apply again
        self.fault_schedule: Any = None
        sim = {**station.sim, **(sim_overrides or {})}
        post = {**sim.get("ac_post", {}), **(sim_overrides or {}).get("ac_post", {})}
        ref = sim.get("reference", {})
        inst = station.section("instrument")
        self.rig = Rig(
            speed=float(sim.get("speed", 100.0)),
            voltage_v=float(inst.get("voltage_v", 220.0)),
            dut_error_pct=float(post.get("error_pct", 0.3)),
            dut_constant=float(inst.get("constant_imp_per_kwh", 1000.0)),
            dut_noise_pct=float(post.get("noise_pct", 0.02)),
            std_error_pct=float(ref.get("error_pct", 0.0)),
            std_constant=float(ref.get("constant_imp_per_kwh", 1_000_000.0)),
            seed=int(sim.get("seed", 1148)),
        )
        self.post_cfg = post
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="jianding-sim", daemon=True)
        self._twins: list[Any] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self.ref_twin: Any = None
        self.post_twin: Any = None
        self.dc_twin: Any = None
        self.signer: Any = None
        self.dc_cfg = dict(sim.get("dc_charger", {}))
        self.fuel_cfg = {"dispenser": dict(sim.get("dispenser", {})), "can": dict(sim.get("can", {}))}
        self.dispenser_twin: Any = None
        self.can_twin: Any = None
        self.flow_twin: Any = None
        self.scale_twin: Any = None
        self.meter_twin: Any = None
        self.meter_port: Any = None
        self._links: list[Any] = []

    def _submit(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def start(self) -> SimHost:
        """Start the loop thread and every twin; returns once the Modbus twin listens."""
        self._thread.start()
        self._submit(self._start()).result(timeout=15)
        return self

    async def _start(self) -> None:
        from hardware_sim.ac_post import AcPostTwin
        from hardware_sim.ref_meter import RefMeterTwin

        for dev in self.station.devices:
            if dev.driver == "modbus_meter":
                self.ref_twin = RefMeterTwin(self.rig, register_map=str(dev.config.get("map", "jianding_sim_ref")))
                await self._serve_modbus(self.ref_twin, dev.config)
                self._twins.append(self.ref_twin)
            elif dev.driver == "ocpp":
                host = str(dev.config.get("host", "127.0.0.1"))
                host = "127.0.0.1" if host in ("0.0.0.0", "") else host
                password, ca_cert, scheme = self._post_security(dev.config)
                url = f"{scheme}://{host}:{int(dev.config['port'])}"
                inst = self.station.section("instrument")
                self.post_twin = AcPostTwin(
                    self.rig, url, charge_point_id=str(dev.config.get("charge_point_id", "CP001")),
                    vendor=str(self.post_cfg.get("vendor", "JD-SIM")), model=str(self.post_cfg.get("model", "AC7K-SIM")),
                    serial=str(inst.get("serial", "SIM0001")), clock_offset_s=float(self.post_cfg.get("clock_offset_s", 0.0)),
                    price_yuan_per_kwh=float(self.post_cfg.get("price_yuan_per_kwh", 1.2)),
                    ocpp_version=str(self.post_cfg.get("ocpp_version", "1.6")),
                    meter_value_signer=self._signer(inst),
                    adopt_csms_time=bool(self.post_cfg.get("adopt_csms_time", False)),
                    clock_rate_error_pct=float(self.post_cfg.get("clock_rate_error_pct", 0.0)),
                    boot_on_connect=bool(self.post_cfg.get("boot_on_connect", True)),
                    service_fee_yuan_per_kwh=float(self.post_cfg.get("service_fee_yuan_per_kwh", 0.0)),
                    tariff=[(str(t["name"]), str(t["start"]), float(t["price"])) for t in self.post_cfg.get("tariff", [])],
                    basic_auth_password=password, ca_cert=ca_cert,
                )
                self.post_twin.faults.amount_error_yuan = float(self.post_cfg.get("amount_error_yuan", 0.0))
                self.post_twin.faults.no_current = bool(self.post_cfg.get("no_current", False))
                self._tasks.append(asyncio.ensure_future(self.post_twin.run()))
                self._twins.append(self.post_twin)
            elif dev.driver == "gbt27930_bms":
                from hardware_sim.dc_charger import DcChargerTwin

                bus = {"interface": dev.config.get("interface", "virtual"), "channel": dev.config["channel"]}
                self.dc_twin = DcChargerTwin(
                    self.rig, bus, charger_number=str(self.dc_cfg.get("charger_number", "00000001")),
                    max_voltage_v=float(self.dc_cfg.get("max_voltage_v", 750.0)),
                    max_current_a=float(self.dc_cfg.get("max_current_a", 250.0)),
                )
                self._tasks.append(asyncio.ensure_future(self.dc_twin.run()))
                self._twins.append(self.dc_twin)
        if self.dc_twin is not None and self.post_twin is not None:
            post = self.post_twin  # one charger, one clock: CTS carries what its display shows
            self.dc_twin.clock = lambda: post.display_clock()
        if self.dc_twin is not None:
            self.dc_twin.faults.no_current = bool(self.dc_cfg.get("no_current", False))
        if self.station.sim.get("kind") == "fuel":
            await self._start_fuel()
        elif self.station.sim.get("kind") in ("water", "gas"):
            await self._start_flow(str(self.station.sim["kind"]))
        elif self.station.sim.get("kind") == "meter":
            await self._start_meter()
        from bench.sim_faults import schedule

        self.fault_schedule = schedule(self, self.resumed)  # [[sim.faults]] (bench/sim_faults.py)

    def on_event(self, event: Any) -> None:
        """Run-bus sink: a step starting arms the station's faults that start at it (from any thread)."""
        from procedures.engine import StepStarted

        if isinstance(event, StepStarted) and self.fault_schedule is not None:
            self.call_soon(self.fault_schedule.step_started, event.step_key)

    async def _serve_modbus(self, twin: Any, cfg: dict[str, Any]) -> None:
        """Serve a Modbus twin (reference meter, meter bench, flow bench) the way the station
        reaches the device: Modbus TCP on loopback, or for ``transport = "rtu"`` Modbus RTU on
        one end of a pseudo-terminal pair at the station's line settings (``baudrate``,
        ``parity``, ``stopbits``), the other end becoming the device's serial ``port`` — so the
        driver opens a real serial line, as on site with an RS-485 adapter."""
        if cfg.get("transport", "tcp") == "rtu":
            from hardware_sim.ref_meter import PtyLink

            link = await PtyLink().open()
            self._links.append(link)
            await twin.serve_rtu(link.path_a, baudrate=int(cfg.get("baudrate", 9600)),
                                 parity=str(cfg.get("parity", "N")), stopbits=int(cfg.get("stopbits", 1)))
            cfg["port"] = link.path_b
            return
        await twin.serve_tcp(str(cfg.get("host", "127.0.0.1")), int(cfg["port"]))
        cfg["port"] = twin.port

    def _post_security(self, cfg: dict[str, Any]) -> tuple[str | None, str | None, str]:
        """What the AC-post twin presents to a CSMS with security: its password from the charger
        section's credentials (username = its charge point id, profile 1/2), the CA it trusts
        (``ca_cert``, read beside the station file) and ``wss`` when the CSMS has a TLS
        certificate (profile 2); ``(None, None, "ws")`` for profile 0."""
        from drivers.ocpp.security import load_credentials

        base = self.station.base_dir
        password = None
        if cfg.get("credentials") is not None or cfg.get("credentials_file") is not None:
            creds = load_credentials(cfg.get("credentials"), cfg.get("credentials_file"), base_dir=base)
            password = creds.get(str(cfg.get("charge_point_id", "CP001")))
        tls = bool(cfg.get("tls_cert"))
        ca = cfg.get("ca_cert")
        ca_cert = None if ca is None else str(base / str(ca) if base is not None else ca)
        return password, ca_cert, "wss" if tls else "ws"

    async def _start_meter(self) -> None:
        """The energy-meter bench twin (``[sim] kind = "meter"``, JJG 596) on Modbus TCP for each
        ``modbus_bench`` device: the batch's constant and Un from [instrument] (and its connection:
        three-phase meters get a three-phase source and per-element errors, ``element_errors_pct``),
        per-position true errors (``[sim.meter_bench] errors_pct``: one value or one per position;
        absent: drawn from ``seed`` within ±0.4 %) and clock errors (``clock_errors_s_per_day``),
        faults (``stuck``, ``dead``, ``dropouts``, ``no_current``, ``register_error_pct``), the
        standard's constant; physics at ``[sim] speed``. Each ``dlt645`` device gets the meters'
        RS-485 line on a pseudo-terminal (:meth:`_start_meter_port`)."""
        from hardware_sim.meter_bench import BenchFaults, MeterBenchTwin

        sim, inst = self.station.sim, self.station.section("instrument")
        m = dict(sim.get("meter_bench", {}))
        connection = str(inst.get("connection", "single_phase"))
        phases = {"three_phase_4w": 3, "three_phase_3w": 2}.get(connection, 1)
        for dev in self.station.devices:
            if dev.driver != "modbus_bench":
                continue
            faults = BenchFaults(stuck={int(x) for x in m.get("stuck", [])},
                                 dead_positions={int(x) for x in m.get("dead", [])},
                                 pulse_dropouts={int(k): float(v) for k, v in dict(m.get("dropouts", {})).items()},
                                 source_no_current=bool(m.get("no_current", False)),
                                 register_error_pct={int(k): float(v)
                                                     for k, v in dict(m.get("register_error_pct", {})).items()})
            self.meter_twin = MeterBenchTwin(
                int(dev.config.get("positions", 24)), seed=int(sim.get("seed", 596)),
                speed=float(sim.get("speed", 100.0)), voltage_v=float(inst.get("un_v", 220.0)),
                constants=float(inst.get("constant_imp_per_kwh", 1600.0)), true_errors_pct=m.get("errors_pct"),
                noise_pct=float(m.get("noise_pct", 0.01)), std_constant=float(m.get("std_constant", 2e7)),
                std_error_pct=float(m.get("std_error_pct", 0.002)), settle_s=float(m.get("settle_s", 2.0)),
                clock_errors_s_per_day=m.get("clock_errors_s_per_day"), clock_hz=float(inst.get("clock_hz", 1.0)),
                faults=faults, register_map=str(dev.config.get("map", "jianding_sim_bench")),
                device_id=int(dev.config.get("device_id", 1)), phases=phases,
                element_errors_pct={int(k): [float(e) for e in v]
                                    for k, v in dict(m.get("element_errors_pct", {})).items()},
                registers_kwh=m.get("registers_kwh"))
            dev.config.setdefault("port", 0)
            await self._serve_modbus(self.meter_twin, dev.config)
            self._twins.append(self.meter_twin)
        if self.meter_twin is not None:
            for dev in self.station.devices:
                if dev.driver == "dlt645":
                    await self._start_meter_port(dev.config, m)

    async def _start_meter_port(self, cfg: dict[str, Any], m: dict[str, Any]) -> None:
        """The bench's meters answering DL/T 645 on their RS-485 line, a pseudo-terminal whose free
        end becomes the device's ``port``; every meter at the address the station gives its
        position; faults ``silent_meters`` (never answer) and ``meter_error_replies`` (position →
        the error byte its meter answers with)."""
        from drivers.meters.dlt645 import position_addresses
        from hardware_sim.dlt645_meters import Dlt645Line, MeterPortFaults
        from hardware_sim.ref_meter import PtyLink

        faults = MeterPortFaults(silent_meters={int(x) for x in m.get("silent_meters", [])},
                                 error_replies={int(k): int(v) for k, v in dict(m.get("meter_error_replies", {})).items()})
        addresses = position_addresses({"positions": self.meter_twin.positions, **cfg})
        self.meter_port = Dlt645Line(self.meter_twin, {p: a for p, a in addresses.items()
                                                       if p <= self.meter_twin.positions}, faults=faults)
        link = await PtyLink().open()
        self._links.append(link)
        await self.meter_port.serve(link.path_a)
        cfg["port"] = link.path_b
        self._twins.append(self.meter_port)

    def source_no_current(self, on: bool = True) -> None:
        """Make the simulated bench's source deliver no current (an open current circuit), or
        deliver it again (from any thread)."""
        if self.meter_twin is None:
            raise RuntimeError("no simulated meter bench")
        self.call_soon(setattr, self.meter_twin.faults, "source_no_current", on)

    def meter_register(self, position: int) -> Any:
        """What the display of the simulated meter at ``position`` shows (kWh, a Decimal)."""
        if self.meter_twin is None:
            raise RuntimeError("no simulated meter bench")
        return self._submit(self._register(position)).result(timeout=5)

    async def _register(self, position: int) -> Any:
        return self.meter_twin.register_kwh(position)

    def cut_bench_line(self, cut: bool = True) -> None:
        """Make the simulated meter bench stop answering (or answer again), as a pulled bench
        cable (from any thread)."""
        if self.meter_twin is None:
            raise RuntimeError("no simulated meter bench")
        self.call_soon(setattr, self.meter_twin.faults, "silent", cut)

    async def _start_flow(self, medium: str) -> None:
        """The flow-bench twin (``[sim] kind = "water"`` or ``"gas"``) on Modbus TCP for each
        ``modbus_flow_bench`` device, and for water a scale twin on a virtual serial cable for each
        ``sics_scale`` device, weighing the tank the bench pours into (one shared FlowRig).
        ``[sim.flow_bench]`` and ``[sim.scale]`` keys: docs/station-file.md."""
        from hardware_sim.flow_bench import Conditions, FlowBenchFaults, FlowBenchTwin
        from hardware_sim.flow_physics import FlowRig, LabAir
        from hardware_sim.ref_meter import PtyLink
        from hardware_sim.scale import ScaleTwin

        sim, inst = self.station.sim, self.station.section("instrument")
        f, sc = dict(sim.get("flow_bench", {})), dict(sim.get("scale", {}))
        rig = FlowRig(speed=float(sim.get("speed", 100.0)), air=LabAir(
            float(f.get("ambient_temperature_c", 20.0)), float(f.get("ambient_pressure_kpa", 101.325)),
            float(f.get("ambient_humidity_pct", 50.0))))
        serials = self.station.bench_serials()
        nominal = float(inst.get("q3_m3_h" if medium == "water" else "qmax_m3_h", 2.5))
        medium_t = f.get("water_temperature_c" if medium == "water" else "gas_temperature_c", 20.0)
        std_t, std_p = f.get("standard_temperature_c"), f.get("standard_pressure_kpa")
        conditions = Conditions(float(medium_t), float(f.get("pressure_kpa", 300.0 if medium == "water" else 102.0)),
                                None if std_t is None else float(std_t), None if std_p is None else float(std_p))
        faults = FlowBenchFaults(no_pulses={int(p) for p in f.get("no_pulses", [])},
                                 stuck={int(p) for p in f.get("stuck", [])}, dead={int(p) for p in f.get("dead", [])},
                                 dropout_pct={int(p): float(v) for p, v in dict(f.get("dropout_pct", {})).items()},
                                 bench_fault=int(f.get("bench_fault", 0)), no_flow=bool(f.get("no_flow", False)))
        loss = f.get("pressure_loss_pa", 0.0)
        curve = {float(k): float(v) for k, v in dict(f.get("error_curve_pct", {"1.0": 0.0})).items()}
        curves = {int(p): {float(k): float(v) for k, v in dict(c).items()} for p, c in dict(f.get("curves", {})).items()}
        for dev in self.station.devices:
            if dev.driver != "modbus_flow_bench":
                continue
            self.flow_twin = FlowBenchTwin(
                int(f.get("positions", max(serials) if serials else 20)), medium=medium, rig=rig,
                seed=int(sim.get("seed", 162)), nominal_flow_m3_h=nominal, error_curve_pct=curve, curves=curves,
                offsets_pct=[float(x) for x in f.get("position_offsets_pct", [0.0])] or 0.0,
                noise_pct=float(f.get("noise_pct", 0.02)), pulses_per_l=float(inst.get("pulses_per_l", 100.0)),
                standard_kind=dev.config.get("standard_kind"), std_error_pct=float(f.get("master_error_pct", 0.0)),
                conditions=conditions, max_flow_m3_h=float(f.get("max_flow_m3_h", nominal * 1.5)), faults=faults,
                pressure_loss_pa=[float(x) for x in loss] if isinstance(loss, list) else float(loss),
                register_map=str(dev.config.get("map", "jianding_sim_flow_bench")),
                device_id=int(dev.config.get("device_id", 1)))
            dev.config.setdefault("port", 0)
            await self._serve_modbus(self.flow_twin, dev.config)
            self._twins.append(self.flow_twin)
        for dev in self.station.devices:
            if dev.driver != "sics_scale":
                continue
            self.scale_twin = ScaleTwin(rig, capacity_kg=float(sc.get("capacity_kg", 60.0)),
                                        interval_kg=float(sc.get("interval_kg", dev.config.get("interval_kg", 0.001))),
                                        settle_s=float(sc.get("settle_s", 0.3)))
            if sc.get("drift_kg_min"):
                self.scale_twin.set_drift(float(sc["drift_kg_min"]))
            if sc.get("unstable_s"):
                self.scale_twin.set_unstable(float(sc["unstable_s"]))
            link = await PtyLink().open()
            self._links.append(link)
            await self.scale_twin.serve(link.path_a)
            dev.config["port"] = link.path_b
            self._twins.append(self.scale_twin)

    def _flow(self) -> Any:
        if self.flow_twin is None:
            raise RuntimeError("no simulated flow bench")
        return self.flow_twin

    def set_position_fault(self, position: int, fault: str) -> None:
        """Inject (or clear, ``"ok"``) a fault on one simulated flow-bench position (from any
        thread): ``"no_pulses"``, ``"stuck"`` or ``"dead"``; takes effect from the next test."""
        if fault not in ("ok", "no_pulses", "stuck", "dead"):
            raise ValueError("fault must be ok, no_pulses, stuck or dead")
        faults = self._flow().faults

        def apply() -> None:
            for name in ("no_pulses", "stuck", "dead"):
                getattr(faults, name).discard(position)
            if fault != "ok":
                getattr(faults, fault).add(position)

        self.call_soon(apply)

    def set_pulse_dropout(self, position: int, pct: float) -> None:
        """Lose ``pct`` percent of one position's pulses from the next test on (0 clears)."""
        faults = self._flow().faults
        self.call_soon(faults.dropout_pct.__setitem__, position, float(pct))

    def pressure_loss(self, position: int) -> float:
        """The differential pressure across one position's meter over the last test, Pa (what a
        technician reads on the manometer)."""
        return float(self._flow().meter(position).test_pressure_loss_pa)

    def set_no_flow(self, stuck: bool = True) -> None:
        """Make the simulated bench's pump or valve stick (tests started from now on run without
        flow), or free it again (from any thread)."""
        self.call_soon(setattr, self._flow().faults, "no_flow", bool(stuck))

    def set_bench_fault(self, code: int) -> None:
        """Make the simulated flow bench fail its next (or running) test with ``code`` (0 clears)."""
        self.call_soon(setattr, self._flow().faults, "bench_fault", int(code))

    def set_lab_air(self, temperature_c: float | None = None, pressure_kpa: float | None = None,
                    humidity_pct: float | None = None) -> None:
        """Change the simulated laboratory's air (what the bench's ambient sensors read)."""
        air = self._flow().flow_rig.air
        for key, value in (("temperature_c", temperature_c), ("pressure_kpa", pressure_kpa),
                           ("humidity_pct", humidity_pct)):
            if value is not None:
                self.call_soon(setattr, air, key, float(value))

    def set_medium(self, temperature_c: float | None = None, pressure_kpa: float | None = None) -> None:
        """Change the simulated medium's temperature/absolute pressure at the meters."""
        cond = self._flow().conditions
        if temperature_c is not None:
            self.call_soon(setattr, cond, "temperature_c", float(temperature_c))
        if pressure_kpa is not None:
            self.call_soon(setattr, cond, "pressure_kpa", float(pressure_kpa))

    def scale_fault(self, drift_kg_min: float | None = None, unstable_s: float | None = None,
                    garbage_replies: int | None = None, silent: bool | None = None) -> None:
        """Inject faults into the simulated scale: indication drift (kg per simulated minute),
        unstable for a while (s), the next k replies garbled, a silent (dropped) line."""
        if self.scale_twin is None:
            raise RuntimeError("no simulated scale")
        twin = self.scale_twin
        if drift_kg_min is not None:
            self.call_soon(twin.set_drift, float(drift_kg_min))
        if unstable_s is not None:
            self.call_soon(twin.set_unstable, float(unstable_s))
        if garbage_replies is not None:
            self.call_soon(setattr, twin.faults, "garbage_replies", int(garbage_replies))
        if silent is not None:
            self.call_soon(setattr, twin.faults, "silent", bool(silent))

    async def _start_fuel(self) -> None:
        """The dispenser twin and the can it delivers into (with a device playing ``mmq_standard``,
        a rack of the two cans: each delivery goes to the can it fits); each ``serial_dispenser`` device gets a
        virtual null-modem cable whose far end becomes its port. The expansion coefficients come
        from the regulation's table (with the station's overrides), as the procedure's do."""
        from hardware_sim.fuel_dispenser import CanRack, DispenserFaults, FuelDispenserTwin, StandardCanTwin
        from hardware_sim.ref_meter import PtyLink
        from procedures.regulations.tables import load_table, merged

        table = merged(load_table("jjg443"), self.station.section("procedure"))
        expansion = table["expansion"]
        inst = self.station.section("instrument")
        d, c = self.fuel_cfg["dispenser"], self.fuel_cfg["can"]
        seed = int(self.station.sim.get("seed", 443))
        cans = []  # the flow points' can, and the MMQ's small can when a device plays mmq_standard
        for i, role in enumerate(("volume_standard", "mmq_standard")):
            can_cfg = next((dev.config for dev in self.station.devices if role in dev.roles), None)
            if can_cfg is None and i > 0:
                continue
            can_cfg = can_cfg or {}
            scale = can_cfg.get("scale_mm", (0.0, 130.0))
            cans.append(StandardCanTwin(
                nominal_l=float(can_cfg.get("nominal_l", 20.0)), h0_mm=float(can_cfg.get("h0_mm", 66.0)),
                d_l_per_mm=float(can_cfg.get("d_l_per_mm", 0.002)),
                beta_b=float(expansion["can_material"][str(can_cfg.get("material", "stainless"))]),
                scale_mm=(float(scale[0]), float(scale[1])), resolution_mm=float(can_cfg.get("resolution_mm", 0.5)),
                temperature_offset_c=float(c.get("temperature_offset_c", -0.5)),
                temperature_noise_c=float(c.get("temperature_noise_c", 0.1)), seed=seed + i))
        self.can_twin = cans[0] if len(cans) == 1 else CanRack(cans)
        faults = DispenserFaults(stuck_display=bool(d.get("stuck_display", False)),
                                 amount_error_yuan=float(d.get("amount_error_yuan", 0.0)),
                                 no_flow=bool(d.get("no_flow", False)))
        serial_devs = [dev for dev in self.station.devices if dev.driver == "serial_dispenser"]
        self.dispenser_twin = FuelDispenserTwin(
            can=self.can_twin, error_pct=float(d.get("error_pct", 0.1)), noise_pct=float(d.get("noise_pct", 0.02)),
            price_yuan_per_l=float(d.get("price_yuan_per_l", 7.89)), qmax_l_min=float(inst.get("qmax_l_min", 60.0)),
            qmin_l_min=float(inst.get("qmin_l_min", 6.0)), fuel_temperature_c=float(d.get("fuel_temperature_c", 24.0)),
            fuel_temperature_noise_c=float(d.get("fuel_temperature_noise_c", 0.2)),
            beta_y=float(expansion["fuel"][str(inst.get("fuel", "gasoline"))]),
            pulses_per_l=float(d.get("pulses_per_l", 1000.0)), speed=float(self.station.sim.get("speed", 100.0)),
            flow_factor=float(d.get("flow_factor", 1.0)),
            address=int(serial_devs[0].config.get("address", 1)) if serial_devs else 1,
            serial=str(inst.get("serial", "SIMFD0001")), model=str(d.get("model", inst.get("model", "JDF-SIM-2"))),
            vendor=str(d.get("vendor", "JD-SIM")), software_id=str(d.get("software_id", "JDF-2.1.0 (CRC A1B2)")),
            seed=seed, faults=faults)
        for dev in serial_devs:
            link = await PtyLink().open()
            self._links.append(link)
            await self.dispenser_twin.serve(link.path_a)
            dev.config["port"] = link.path_b
        self._twins.append(self.dispenser_twin)

    def can_reading(self) -> Any:
        """What the simulated standard metal can shows now (neck reading, can thermometer)."""
        if self.can_twin is None or self.can_twin.reading() is None:
            raise RuntimeError("no fuel in the simulated can to read")
        return self.can_twin.reading()

    def fuel_temperature(self) -> float:
        """What the nozzle thermometer showed during the simulated dispenser's last delivery, °C."""
        if self.dispenser_twin is None:
            raise RuntimeError("no simulated dispenser")
        return float(self.dispenser_twin.fuel_temperature())

    def manual_delivery(self, preset_l: float, flow_l_min: float, nozzle: int = 1) -> tuple[float, float]:
        """A delivery into the can by hand (a dispenser without an interface): runs it on the twin
        at once and returns what its display shows (volume L, amount 元)."""
        if self.dispenser_twin is None:
            raise RuntimeError("no simulated dispenser")

        async def deliver() -> tuple[float, float]:
            return self.dispenser_twin.deliver_now(nozzle, preset_l, flow_l_min)  # type: ignore[no-any-return]

        return self._submit(deliver()).result(timeout=5)

    def dispenser_display(self) -> tuple[float, float]:
        """What the simulated dispenser's display shows now: volume (L), amount (元) — what a
        technician reads on it (stuck with the ``stuck_display`` fault)."""
        if self.dispenser_twin is None:
            raise RuntimeError("no simulated dispenser")

        async def read() -> tuple[float, float]:
            return self.dispenser_twin.display()  # type: ignore[no-any-return]

        return self._submit(read()).result(timeout=5)

    def set_dispenser_fault(self, name: str, value: Any) -> None:
        """Set a fault of the simulated dispenser (``DispenserFaults`` field) while it serves, from
        any thread — e.g. power back to the pump (``no_flow`` False)."""
        if self.dispenser_twin is None:
            raise RuntimeError("no simulated dispenser")
        self.call_soon(setattr, self.dispenser_twin.faults, name, value)

    def set_can_temperature_offset(self, offset_c: float) -> None:
        """How far from the nozzle's temperature the fuel in the simulated can(s) settles, °C."""
        cans = getattr(self.can_twin, "cans", [self.can_twin])
        for can in cans:
            self.call_soon(setattr, can, "temperature_offset_c", float(offset_c))

    def set_flow_factor(self, factor: float) -> None:
        """The fraction of the asked flow the simulated pump reaches (e.g. after a filter change)."""
        if self.dispenser_twin is None:
            raise RuntimeError("no simulated dispenser")
        self.call_soon(setattr, self.dispenser_twin, "flow_factor", float(factor))

    def last_delivery(self) -> tuple[float, float, float, float]:
        """The simulated dispenser's last delivery as displayed: volume, amount, unit price, flow."""
        if self.dispenser_twin is None:
            raise RuntimeError("no simulated dispenser")
        return self.dispenser_twin.last_transaction()  # type: ignore[no-any-return]

    def cut_serial_line(self, cut: bool = True) -> None:
        """Cut (or restore) every simulated serial cable, as a pulled RS-485 line (from any thread)."""
        for link in self._links:
            self.call_soon(setattr, link, "paused", cut)

    def _signer(self, inst: dict[str, Any]) -> Any:
        """The post's OCMF signer when ``[sim.ac_post] sign = true`` (a fresh key per run; the
        signed values carry the public key, as the OCA application note has it);
        ``ocmf_page_per = "transaction"`` makes it number pages per transaction (begin and end share
        their PG), as some real meters do."""
        if not self.post_cfg.get("sign", False):
            return None
        from hardware_sim.ocmf_signer import OcmfSigner

        signer = self.signer = OcmfSigner(str(self.post_cfg.get("meter_serial", f"M-{inst.get('serial', 'SIM')}")),
                                          page_per=str(self.post_cfg.get("ocmf_page_per", "record")))
        if not self.post_cfg.get("tamper_signed", False):
            return signer

        def tampering(reading: dict[str, Any]) -> Any:  # every record altered after signing
            signer.tamper_next = True
            return signer(reading)

        return tampering

    def display(self) -> Any:
        """What the simulated charger's screen shows now (session energy, unit price, amount): the
        OCPP post's display, with the CAN session's energy for a DC charger."""
        if self.post_twin is None:
            raise RuntimeError("no simulated charger display")
        shown = self.post_twin.display()
        if self.dc_twin is not None:
            from hardware_sim.ac_post import PostDisplay

            post = self.post_twin
            kwh = math.floor(self.dc_twin.session_energy_wh() + 1e-9) / 1000.0  # display step 0.001 kWh
            fee = post.service_fee_yuan_per_kwh
            amount = round(kwh * (shown.price_yuan_per_kwh + fee) + post.faults.amount_error_yuan, 2)
            shown = PostDisplay(kwh, shown.price_yuan_per_kwh, amount,
                                self.dc_twin.session_duration_s(post.clock_rate_error_pct),
                                (("平", kwh, shown.price_yuan_per_kwh),), fee)
        return shown

    def display_clock(self, at: datetime | None = None) -> datetime:
        """The time of day the simulated charger's screen shows at the real instant ``at``."""
        if self.post_twin is None:
            raise RuntimeError("no simulated charger display")
        return self.post_twin.display_clock(at)

    def call_soon(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` in the twins' loop thread (to inject a fault, for instance)."""
        self._loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        """Stop every twin and the loop thread."""
        if not self._thread.is_alive():
            return

        async def _stop() -> None:
            if self.fault_schedule is not None:
                await self.fault_schedule.stop()
            for twin in reversed(self._twins):
                try:
                    await asyncio.wait_for(twin.stop(), 5.0)
                except Exception:
                    pass
            for t in self._tasks:
                t.cancel()
            for link in self._links:
                link.close()

        try:
            self._submit(_stop()).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
