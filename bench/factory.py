"""Build drivers from a station's device sections (the composition root's one place that names
concrete driver classes)."""

from __future__ import annotations

from typing import Any

from bench.station import DeviceSpec, StationError

# Drivers that listen for the instrument to connect (the workstation is the server).
LISTENING_DRIVERS = {"ocpp"}


def build_device(spec: DeviceSpec) -> Any:
    """A driver instance for one device section."""
    if spec.driver == "modbus_meter":
        from drivers.meters.modbus_meter import ModbusMeter

        return ModbusMeter.from_config(spec.name, spec.config)
    if spec.driver == "ocpp":
        from drivers.ocpp.link import OcppChargerLink

        return OcppChargerLink.from_config(spec.name, spec.config)
    if spec.driver == "gbt27930_bms":
        from drivers.gbt27930.bms import GbtBms

        return GbtBms.from_config(spec.name, spec.config)
    if spec.driver == "serial_dispenser":
        from drivers.dispensers.serial_dispenser import SerialDispenser

        try:
            return SerialDispenser.from_config(spec.name, spec.config)
        except ValueError as e:
            raise StationError(f"[devices.{spec.name}]: {e}") from None
    if spec.driver == "modbus_flow_bench":
        from drivers.benches.modbus_flow_bench import ModbusFlowBench

        try:
            return ModbusFlowBench.from_config(spec.name, spec.config)
        except ValueError as e:
            raise StationError(f"[devices.{spec.name}]: {e}") from None
    if spec.driver == "sics_scale":
        from drivers.scales.sics_scale import SicsScale

        try:
            return SicsScale.from_config(spec.name, spec.config)
        except ValueError as e:
            raise StationError(f"[devices.{spec.name}]: {e}") from None
    if spec.driver == "modbus_bench":
        from drivers.benches.modbus_bench import ModbusBench

        try:
            return ModbusBench.from_config(spec.name, spec.config)
        except ValueError as e:
            raise StationError(f"[devices.{spec.name}]: {e}") from None
    if spec.driver == "manual":
        from drivers.manual_standard import ManualStandard

        return ManualStandard.from_config(spec.name, spec.config)
    raise StationError(f"[devices.{spec.name}]: unknown driver {spec.driver!r} "
                       "(known: modbus_meter, ocpp, gbt27930_bms, serial_dispenser, modbus_flow_bench, sics_scale, modbus_bench, manual)")


def bound_port(device: Any) -> int:
    """The TCP port a listening device actually bound (after ``connect``; port 0 picks a free one)."""
    return int(device.csms.port)
