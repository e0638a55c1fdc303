"""Starts the hardware_sim twins a station's [sim] section asks for, on loopback, in a thread of
their own (its own asyncio loop), so the workstation's drivers talk to them over real Modbus TCP,
a real WebSocket, a virtual CAN bus or a pseudo-terminal serial line exactly as they would to
hardware. ``[sim] kind = "fuel"`` starts a fuel dispenser twin (JD-DSP/1 over a ``PtyLink``) and
the standard metal can it delivers into."""

from __future__ import annotations

import asyncio
import math
import threading
import uuid
from concurrent.futures import Future
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
        elif dev.driver in ("serial_dispenser", "manual"):
            continue  # serial: the twin's pseudo-terminal replaces the port (SimHost); manual: no link
        elif dev.config.get("transport", "tcp") == "tcp":
            dev.config["port"] = 0


class SimHost:
    """The twins of one station, sharing one simulated physics (hardware_sim.physics.Rig)."""

    def __init__(self, station: Station, sim_overrides: dict[str, Any] | None = None) -> None:
        from hardware_sim.physics import Rig

        self.station = station
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
                await self.ref_twin.serve_tcp(str(dev.config.get("host", "127.0.0.1")), int(dev.config["port"]))
                dev.config["port"] = self.ref_twin.port
                self._twins.append(self.ref_twin)
            elif dev.driver == "ocpp":
                host = str(dev.config.get("host", "127.0.0.1"))
                host = "127.0.0.1" if host in ("0.0.0.0", "") else host
                url = f"ws://{host}:{int(dev.config['port'])}"
                inst = self.station.section("instrument")
                self.post_twin = AcPostTwin(
                    self.rig, url, charge_point_id=str(dev.config.get("charge_point_id", "CP001")),
                    vendor=str(self.post_cfg.get("vendor", "JD-SIM")), model=str(self.post_cfg.get("model", "AC7K-SIM")),
                    serial=str(inst.get("serial", "SIM0001")), clock_offset_s=float(self.post_cfg.get("clock_offset_s", 0.0)),
                    price_yuan_per_kwh=float(self.post_cfg.get("price_yuan_per_kwh", 1.2)),
                    ocpp_version=str(self.post_cfg.get("ocpp_version", "1.6")),
                    meter_value_signer=self._signer(inst),
                )
                self.post_twin.faults.amount_error_yuan = float(self.post_cfg.get("amount_error_yuan", 0.0))
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
        if self.station.sim.get("kind") == "fuel":
            await self._start_fuel()

    async def _start_fuel(self) -> None:
        """The dispenser twin and the can it delivers into; each ``serial_dispenser`` device gets a
        virtual null-modem cable whose far end becomes its port. The expansion coefficients come
        from the regulation's table (with the station's overrides), as the procedure's do."""
        from hardware_sim.fuel_dispenser import DispenserFaults, FuelDispenserTwin, StandardCanTwin
        from hardware_sim.ref_meter import PtyLink
        from procedures.regulations.tables import load_table, merged

        table = merged(load_table("jjg443"), self.station.section("procedure"))
        expansion = table["expansion"]
        inst = self.station.section("instrument")
        d, c = self.fuel_cfg["dispenser"], self.fuel_cfg["can"]
        seed = int(self.station.sim.get("seed", 443))
        can_cfg = next((dev.config for dev in self.station.devices if "volume_standard" in dev.roles), {})
        scale = can_cfg.get("scale_mm", (0.0, 130.0))
        self.can_twin = StandardCanTwin(
            nominal_l=float(can_cfg.get("nominal_l", 20.0)), h0_mm=float(can_cfg.get("h0_mm", 66.0)),
            d_l_per_mm=float(can_cfg.get("d_l_per_mm", 0.002)),
            beta_b=float(expansion["can_material"][str(can_cfg.get("material", "stainless"))]),
            scale_mm=(float(scale[0]), float(scale[1])), resolution_mm=float(can_cfg.get("resolution_mm", 0.5)),
            temperature_offset_c=float(c.get("temperature_offset_c", -0.5)),
            temperature_noise_c=float(c.get("temperature_noise_c", 0.1)), seed=seed)
        faults = DispenserFaults(stuck_display=bool(d.get("stuck_display", False)),
                                 amount_error_yuan=float(d.get("amount_error_yuan", 0.0)))
        serial_devs = [dev for dev in self.station.devices if dev.driver == "serial_dispenser"]
        self.dispenser_twin = FuelDispenserTwin(
            can=self.can_twin, error_pct=float(d.get("error_pct", 0.1)), noise_pct=float(d.get("noise_pct", 0.02)),
            price_yuan_per_l=float(d.get("price_yuan_per_l", 7.89)), qmax_l_min=float(inst.get("qmax_l_min", 60.0)),
            qmin_l_min=float(inst.get("qmin_l_min", 6.0)), fuel_temperature_c=float(d.get("fuel_temperature_c", 24.0)),
            fuel_temperature_noise_c=float(d.get("fuel_temperature_noise_c", 0.2)),
            beta_y=float(expansion["fuel"][str(inst.get("fuel", "gasoline"))]),
            pulses_per_l=float(d.get("pulses_per_l", 1000.0)), speed=float(self.station.sim.get("speed", 100.0)),
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
        signed values carry the public key, as the OCA application note has it)."""
        if not self.post_cfg.get("sign", False):
            return None
        from hardware_sim.ocmf_signer import OcmfSigner

        signer = self.signer = OcmfSigner(str(self.post_cfg.get("meter_serial", f"M-{inst.get('serial', 'SIM')}")))
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

            kwh = math.floor(self.dc_twin.session_energy_wh() + 1e-9) / 1000.0  # display step 0.001 kWh
            amount = round(kwh * shown.price_yuan_per_kwh + self.post_twin.faults.amount_error_yuan, 2)
            shown = PostDisplay(kwh, shown.price_yuan_per_kwh, amount)
        return shown

    def call_soon(self, fn: Any, *args: Any) -> None:
        """Run ``fn(*args)`` in the twins' loop thread (to inject a fault, for instance)."""
        self._loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        """Stop every twin and the loop thread."""
        if not self._thread.is_alive():
            return

        async def _stop() -> None:
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
