"""Build drivers from a station's device sections (the composition root's one place that names
concrete driver classes)."""

from __future__ import annotations

import importlib
from typing import Any

from bench.station import DeviceSpec, StationError

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
    "manual": "drivers.manual_standard:ManualStandard",
}


def build_device(spec: DeviceSpec) -> Any:
    """A driver instance for one device section; a section the driver refuses (``ValueError``)
    becomes a ``StationError`` naming the section."""
    target = DRIVERS.get(spec.driver)
    if target is None:
        raise StationError(f"[devices.{spec.name}]: unknown driver {spec.driver!r} (known: {', '.join(DRIVERS)})")
    module, cls = target.split(":")
    driver = getattr(importlib.import_module(module), cls)
    try:
        return driver.from_config(spec.name, spec.config)
    except ValueError as e:
        raise StationError(f"[devices.{spec.name}]: {e}") from None


def bound_port(device: Any) -> int:
    """The TCP port a listening device actually bound (after ``connect``; port 0 picks a free one)."""
    return int(device.csms.port)
