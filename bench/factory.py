"""Build drivers from a station's device sections (the composition root's one place that names
concrete driver classes) and open a station's devices in the order a run needs."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from bench.simhost import SimHost, use_ephemeral_ports
from bench.station import DeviceSpec, Station, StationError

# Drivers that listen for the instrument to connect (the workstation is the server).
LISTENING_DRIVERS = {"ocpp"}


# driver name in a station file → the class that builds itself from the section (``from_config``);
# imported on use, so a station without CAN or a GUI never loads those libraries.
DRIVERS: dict[str, str] = {
    "modbus_meter": "drivers.meters.modbus_meter:ModbusMeter",
    "ocpp": "drivers.ocpp.link:OcppChargerLink",
    "gbt27930_bms": "drivers.gbt27930.bms:GbtBms",
    "serial_dispenser": "drivers.dispensers.serial_dispenser:SerialDispenser",
    "modbus_flow_bench": "drivers.benches.modbus_flow_bench:ModbusFlowBench",
    "sics_scale": "drivers.scales.sics_scale:SicsScale",
    "modbus_bench": "drivers.benches.modbus_bench:ModbusBench",
    "dlt645": "drivers.meters.dlt645:Dlt645Meters",
    "manual": "drivers.manual_standard:ManualStandard",
}


def build_device(spec: DeviceSpec, station: Station | None = None) -> Any:
    """A driver instance for one device section; a section the driver refuses (``ValueError``)
    becomes a ``StationError`` naming the section (and the station file, when given).

    A listening driver (the OCPP CSMS) is told whether ``station`` is simulated and where its file
    lies: its security keys default to secure unless the post is a twin, and its relative file
    names (credentials, TLS certificate) are read beside the station file. Without ``station`` the
    device is taken as real."""
    target = DRIVERS.get(spec.driver)
    if target is None:
        raise StationError(f"[devices.{spec.name}]: unknown driver {spec.driver!r} (known: {', '.join(DRIVERS)})")
    module, cls = target.split(":")
    driver = getattr(importlib.import_module(module), cls)
    options: dict[str, Any] = {}
    if spec.driver in LISTENING_DRIVERS:
        options = {"simulated": station is not None and station.sim_enabled,
                   "base_dir": station.base_dir if station is not None else None}
    try:
        return driver.from_config(spec.name, spec.config, **options)
    except ValueError as e:
        where = f"{station.path}: " if station is not None else ""
        raise StationError(f"{where}[devices.{spec.name}]: {e}") from None


def bound_port(device: Any) -> int:
    """The TCP port a listening device actually bound (after ``connect``; port 0 picks a free one)."""
    return int(device.csms.port)


@dataclass
class OpenStation:
    """A station's devices, connected: by device name and by role, and the twins when simulated."""

    devices: dict[str, Any] = field(default_factory=dict)
    by_role: dict[str, Any] = field(default_factory=dict)
    sim: Any = None  # the SimHost, when the station says [sim] enabled


@contextlib.asynccontextmanager
async def open_station(station: Station, only: str | None = None, *,
                       resumed: bool = False) -> AsyncIterator[OpenStation]:
    """Connect a station's devices in the one order that works on site and on twins — the devices
    the instrument connects *to* (the OCPP CSMS) listen first, then the twins start (sim), then the
    workstation connects to the devices it is a client of — and always close them and stop the
    twins. ``only`` names one device to connect (a connection test); the listeners the twins need
    are opened anyway on a simulated station. ``resumed``: the run was paused before (its
    station's faults on demand apply again only where they say ``on_resume``)."""
    opened = OpenStation()
    try:
        if station.sim_enabled:
            use_ephemeral_ports(station)
        for spec in station.devices:
            if spec.driver in LISTENING_DRIVERS and (only is None or station.sim_enabled or spec.name == only):
                dev = opened.devices[spec.name] = build_device(spec, station)
                await dev.connect()
                spec.config["port"] = bound_port(dev)
        if station.sim_enabled:  # writes the twins' bound ports back into the station
            opened.sim = await asyncio.to_thread(lambda: SimHost(station, resumed=resumed).start())
        for spec in station.devices:
            if only is not None and spec.name != only:
                continue
            if spec.name not in opened.devices:
                dev = opened.devices[spec.name] = build_device(spec, station)
                await dev.connect()
            opened.by_role.update(dict.fromkeys(spec.roles, opened.devices[spec.name]))
        yield opened
    finally:
        for dev in opened.devices.values():
            with contextlib.suppress(Exception):
                await dev.close()
        if opened.sim is not None:
            opened.sim.stop()
