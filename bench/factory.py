"""Build drivers from a station's device sections (the composition root's one place that names
concrete driver classes)."""

from __future__ import annotations

from typing import Any

from bench.station import DeviceSpec, Station, StationError


def build_device(spec: DeviceSpec) -> Any:
    """A driver instance for one device section."""
    if spec.driver == "modbus_meter":
        from drivers.meters.modbus_meter import ModbusMeter

        return ModbusMeter.from_config(spec.name, spec.config)
    if spec.driver == "ocpp":
        from drivers.ocpp.link import OcppChargerLink

        return OcppChargerLink.from_config(spec.name, spec.config)
    raise StationError(f"[devices.{spec.name}]: unknown driver {spec.driver!r} (known: modbus_meter, ocpp)")


def build_devices(station: Station) -> tuple[dict[str, Any], list[Any]]:
    """Devices by role, and the list of distinct devices (to connect and close)."""
    by_role: dict[str, Any] = {}
    distinct: list[Any] = []
    for spec in station.devices:
        dev = build_device(spec)
        distinct.append(dev)
        for role in spec.roles:
            by_role[role] = dev
    return by_role, distinct
