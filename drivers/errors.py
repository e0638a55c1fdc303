"""Typed device faults: every third-party quirk (pymodbus ``isError()``, OCPP call errors, socket
errors) becomes one of these at the edge of ``drivers/``, carrying the device's name so that the
operator's message says *which* instrument failed and what to check."""

from __future__ import annotations


class DeviceError(Exception):
    """Base of every hardware fault; ``device`` names the instrument as the station file does."""

    def __init__(self, device: str, message: str) -> None:
        super().__init__(f"{device}: {message}")
        self.device = device
        self.detail = message


class DeviceTimeout(DeviceError):
    """The device did not answer within its deadline (it may be unplugged, off or busy)."""


class ProtocolError(DeviceError):
    """The device answered, but with something that is not a valid reply (CRC, garbage, exception)."""


class Disconnected(DeviceError):
    """The link to the device is gone (socket closed, WebSocket dropped, serial port removed)."""


class DeviceRefused(DeviceError):
    """The device understood the request and refused it (OCPP ``Rejected``, Modbus exception code)."""


class NoOutput(DeviceError):
    """The device answers, but what it should deliver does not come: no current from a charger or a
    bench source, no flow from a dispenser or a flow bench (the standard sees nothing). Raised
    within seconds of the demand, instead of waiting out a deadline computed from a power or a flow
    that is not there."""


class NoFlow(NoOutput):
    """Something was set to deliver and nothing flows: a flow bench's test (pump or valve stuck, line
    blocked, tank valve closed: its flow reads ≈ 0 where flow is expected; its valves are closed), or
    a dispenser authorised with no volume advancing (no power to the pump, a closed valve, a nozzle
    not lifted). The run pauses with the readings kept and resumes once the cause is fixed."""


class NoPower(NoOutput):
    """The standard sees no power where the test applies current (a bench source delivers none, a
    current circuit is open): waiting for pulses would wait for nothing, so the run pauses."""
