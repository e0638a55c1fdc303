"""The device sections of a station file, one strict model per driver (``[devices.<name>]``): the
keys the driver reads (bench/factory.py → each driver's ``from_config``) with their types and ranges;
any other key is refused, naming the file, the section and the key. The models are chosen by the
section's ``driver`` (a discriminated union), so ``map`` is required of a Modbus device and unknown
to an OCPP one.

Why: a misspelt key used to be ignored — ``voltage_v`` in a GB/T 27930 BMS section went to
``can.Bus`` as a backend option and the BMS kept its default demand; a station file is a calibration
record of the set-up, and what it says must be what runs. A driver still checks what only it can
(a register map's file, an address's digits, a time zone) when the device is built.

To add a key: add it to the driver's model here (and to docs/station-file.md); a test
(tests/bench/test_station_schema.py) checks every shipped station file still loads.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from bench.station_types import (
    Bool,
    Key,
    LongText,
    NonNegative,
    NonNegativeInt,
    Number,
    Parity,
    Percent,
    Positions,
    Positive,
    PositiveInt,
    SerialPort,
    StopBits,
    Strict,
    TcpPort,
    Text,
)

GBT_TIMEOUTS = ("crm_00", "crm_aa", "cml", "cro", "cro_aa", "ccs", "cst", "csd")
"""The GB/T 27930 receive timeouts a station may shorten or lengthen (drivers.gbt27930.bms.TIMEOUTS;
a test keeps the two lists equal)."""


class DeviceBase(Strict):
    """What every device section has: its driver, the roles it plays, the reference standard it is
    (the ledger serial, checked before a run) and that standard's expanded uncertainty."""

    roles: list[Text] = Field(default_factory=list)
    standard: Text | None = None
    u95_pct: Annotated[Number, Field(gt=0, le=100)] | None = None
    std_constant_imp_per_kwh: Positive | None = None


class ModbusKeys(DeviceBase):
    """A Modbus device (drivers/transports/modbus.py ModbusConfig): its register map, TCP (host,
    port) or RTU (serial port and framing), unit id, reply deadline and retries."""

    map: Text
    transport: Literal["tcp", "rtu"] = "tcp"
    host: Text | None = None
    port: TcpPort | SerialPort | None = None
    baudrate: PositiveInt | None = None
    parity: Parity | None = None
    stopbits: StopBits | None = None
    bytesize: Annotated[StrictInt, Field(ge=5, le=8)] | None = None
    device_id: Annotated[StrictInt, Field(ge=0, le=247)] | None = None
    timeout_s: Positive | None = None
    retries: Annotated[StrictInt, Field(ge=0, le=10)] | None = None
    slow_share: Annotated[StrictFloat | StrictInt, Field(gt=0, le=1, allow_inf_nan=False)] | None = None  # link health


class ModbusMeterDevice(ModbusKeys):
    """``driver = "modbus_meter"``: a reference meter or calibrator on Modbus."""

    driver: Literal["modbus_meter"]


class ModbusFlowBenchDevice(ModbusKeys):
    """``driver = "modbus_flow_bench"``: a water or gas meter bench's controller."""

    driver: Literal["modbus_flow_bench"]
    positions: Positions | None = None
    medium: Literal["water", "gas"] | None = None
    standard_kind: Literal["master_meter", "bell_prover", "standard_meter"] | None = None
    master_resolution_l: Positive | None = None
    poll_s: Positive | None = None
    deadline_margin_s: NonNegative | None = None
    no_flow_s: Positive | None = None
    no_flow_fraction: Annotated[Number, Field(gt=0, le=1)] | None = None


class ModbusBenchDevice(ModbusKeys):
    """``driver = "modbus_bench"``: an electricity-meter bench (source, standard, error calculators)."""

    driver: Literal["modbus_bench"]
    positions: Positions
    settle_timeout_s: Positive | None = None
    poll_interval_s: Positive | None = None


class SerialKeys(DeviceBase):
    """A device on a serial line (drivers/transports/serial_line.py): port, framing, reply deadline
    per attempt, retries."""

    port: SerialPort | None = None
    baudrate: PositiveInt | None = None
    parity: Parity | None = None
    stopbits: StopBits | None = None
    timeout_s: Positive | None = None
    retries: Annotated[StrictInt, Field(ge=0, le=10)] | None = None
    slow_share: Annotated[StrictFloat | StrictInt, Field(gt=0, le=1, allow_inf_nan=False)] | None = None  # link health


class SerialDispenserDevice(SerialKeys):
    """``driver = "serial_dispenser"``: a fuel dispenser's computer (JD-DSP/1) and its bus address."""

    driver: Literal["serial_dispenser"]
    address: Annotated[StrictInt, Field(ge=1, le=254)] | None = None


class SicsScaleDevice(SerialKeys):
    """``driver = "sics_scale"``: a weighing instrument speaking MT-SICS."""

    driver: Literal["sics_scale"]
    interval_kg: Positive | None = None
    stable_timeout_s: Positive | None = None
    poll_s: Positive | None = None
    pressure_kpa: Positive | None = None


class Dlt645Device(SerialKeys):
    """``driver = "dlt645"``: the meters of a bench on one DL/T 645-2007 line, one address per position."""

    driver: Literal["dlt645"]
    addresses: list[Text] | dict[Key, Text] | None = None
    positions: Positions | None = None
    address_format: Text | None = None
    data_identifier: Text | None = None
    wakeup_bytes: Annotated[StrictInt, Field(ge=0, le=4)] | None = None
    line_down_after: PositiveInt | None = None


class OcppDevice(DeviceBase):
    """``driver = "ocpp"``: the workstation's CSMS for one post (drivers/ocpp/link.py) with its
    security keys (drivers/ocpp/security.py)."""

    driver: Literal["ocpp"]
    protocol: Text | list[Text] | None = None
    host: Text | None = None
    port: TcpPort | None = None
    charge_point_id: Text | None = None
    id_tag: Text | None = None
    call_timeout_s: Positive | None = None
    heartbeat_interval_s: PositiveInt | None = None
    accepted_id_tags: list[Text] | None = None
    meter_value_interval_s: NonNegativeInt | None = None
    transaction_timeout_s: Positive | None = None
    strict_trigger_context: Bool | None = None
    hold_until_used: Bool | None = None
    ocmf_public_key: LongText | None = None
    security_profile: Annotated[StrictInt, Field(ge=0, le=3)] | None = None
    accept_unsecured: Bool | None = None
    credentials: dict[StrictStr, StrictStr] | None = None
    credentials_file: LongText | None = None
    tls_cert: LongText | None = None
    tls_key: LongText | None = None
    tls_key_password: StrictStr | None = None
    ca_cert: LongText | None = None


class BatteryTable(Strict):
    """The simulated vehicle of a GB/T 27930 BMS (drivers.gbt27930.bms.BatteryParams): what BHM,
    BRM, BCP, BCS, BSM and BSD carry, and the BCL demand until a load point is set."""

    battery_type: Text | NonNegativeInt | None = None
    capacity_ah: Positive | None = None
    rated_voltage_v: Positive | None = None
    max_cell_voltage_v: Positive | None = None
    max_charge_current_a: Positive | None = None
    max_total_voltage_v: Positive | None = None
    nominal_energy_kwh: Positive | None = None
    max_temperature_c: Number | None = None
    soc_pct: Percent | None = None
    pack_voltage_v: Positive | None = None
    vin: Annotated[StrictStr, Field(max_length=17)] | None = None
    bms_version: Text | None = None
    manufacturer: Text | None = None
    request_voltage_v: NonNegative | None = None
    request_current_a: NonNegative | None = None
    cell_voltage_v: Positive | None = None
    temperature_c: Number | None = None


class GbtBmsDevice(BatteryTable, DeviceBase):
    """``driver = "gbt27930_bms"``: the workstation as the vehicle's BMS on CAN (docs/can-adapters.md):
    the python-can link, the BMS's options, the battery (flat or in ``[devices.<name>.battery]``)
    and the timeouts. python-can back-end options are the ones listed here; another one is refused
    until it is added (with its type)."""

    driver: Literal["gbt27930_bms"]
    interface: Text | None = None
    channel: Text | NonNegativeInt | None = None
    bitrate: PositiveInt | None = None
    send_timeout_s: Positive | None = None
    notifier_timeout_s: Positive | None = None
    protocol: Text | None = None
    battery: BatteryTable | None = None
    timeouts: dict[Literal[GBT_TIMEOUTS], Positive] | None = None  # type: ignore[valid-type]
    bem_repeat_s: Positive | None = None
    poll_s: Positive | None = None
    charger_timezone: Text | None = None
    # python-can back-end options (can.Bus keyword arguments)
    serial: Text | NonNegativeInt | None = None
    device: Text | NonNegativeInt | None = None
    tty_baudrate: PositiveInt | None = None
    app_name: Text | None = None
    fd: Bool | None = None
    data_bitrate: PositiveInt | None = None
    receive_own_messages: Bool | None = None
    can_filters: list[dict[Text, StrictInt | Bool]] | None = None
    dll: LongText | None = None
    poll_interval: Positive | None = None
    sleep_after_open: NonNegative | None = None
    rtscts: Bool | None = None


class ManualDevice(DeviceBase):
    """``driver = "manual"``: a standard the operator reads (a standard metal can: its certificate's
    constants, procedures/regulations/jjg443.py CanSpec)."""

    driver: Literal["manual"]
    nominal_l: Positive | None = None
    h0_mm: NonNegative | None = None
    d_l_per_mm: Positive | None = None
    material: Text | None = None
    scale_mm: Annotated[list[Number], Field(min_length=2, max_length=2)] | None = None
    resolution_mm: Positive | None = None


Device = Annotated[
    ModbusMeterDevice | ModbusFlowBenchDevice | ModbusBenchDevice | SerialDispenserDevice | SicsScaleDevice
    | Dlt645Device | OcppDevice | GbtBmsDevice | ManualDevice,
    Field(discriminator="driver"),
]
"""A device section: the model its ``driver`` names."""

DRIVERS = ("modbus_meter", "ocpp", "gbt27930_bms", "serial_dispenser", "modbus_flow_bench", "sics_scale",
           "modbus_bench", "dlt645", "manual")
"""Every driver a device section may name (bench/factory.py, plus ``manual``)."""
