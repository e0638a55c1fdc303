"""Starts the hardware_sim twins a station's [sim] section asks for, on loopback, in a thread of
their own (its own asyncio loop), so the workstation's drivers talk to them over real Modbus TCP
and a real WebSocket exactly as they would to hardware."""

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

        try:
            self._submit(_stop()).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
