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


class NoPower(DeviceError):
    """The standard sees no power where the test applies current (the source delivers none, a
    current circuit is open): waiting for pulses would wait for nothing, so the run pauses."""
