"""Modbus read throughput: our driver against raw pymodbus, on the same twin, in one run.

    python -m benchmarks.modbus_reads [--seconds 3] [--transport tcp|rtu]

One *cycle* is what a verification step does to sample the standard: ``read_instantaneous()`` plus
``read_energy_wh()`` (two requests: input registers 0x0000..0x0009 and 0x0010..0x0013 of the
``jianding_sim_ref`` map). The raw baseline sends the same two requests with a bare
``AsyncModbusTcpClient`` / ``AsyncModbusSerialClient`` and decodes them with
``convert_from_registers``; the ratio is the cost of our map planning, decoding, retry/deadline
machinery and exception mapping. The twin runs in the same process and event loop, so absolute
figures include the server's work; the ratio is what matters.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.framer import FramerType

from drivers.meters.modbus_meter import ModbusMeter
from hardware_sim.physics import Rig
from hardware_sim.ref_meter import PtyLink, RefMeterTwin


async def _measure(cycle: Callable[[], Awaitable[object]], seconds: float) -> tuple[int, float]:
    """Run ``cycle`` repeatedly for about ``seconds``; returns (cycles, elapsed seconds)."""
    for _ in range(20):  # warm-up
        await cycle()
    n = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        await cycle()
        n += 1
    return n, time.perf_counter() - t0


async def run(seconds: float, transport: str) -> None:
    """Start the twin, measure raw pymodbus then the driver, print figures and the ratio."""
    rig = Rig(speed=100.0)
    rig.circuit.set_contactor(True)
    rig.circuit.set_load(10.0)
    twin = RefMeterTwin(rig)
    link: PtyLink | None = None
    raw: AsyncModbusTcpClient | AsyncModbusSerialClient
    if transport == "tcp":
        await twin.serve_tcp("127.0.0.1", 0)
        cfg: dict[str, object] = {"transport": "tcp", "host": "127.0.0.1", "port": twin.port}
        raw = AsyncModbusTcpClient("127.0.0.1", port=twin.port or 0, timeout=1.0, retries=0)
        where = f"Modbus TCP 127.0.0.1:{twin.port}"
    else:
        link = await PtyLink().open()
        await twin.serve_rtu(link.path_a, baudrate=115200)
        cfg = {"transport": "rtu", "port": link.path_b, "baudrate": 115200}
        raw = AsyncModbusSerialClient(link.path_b, framer=FramerType.RTU, baudrate=115200, timeout=1.0,
                                      retries=0)
        where = f"Modbus RTU over pty {link.path_b}"
    meter = ModbusMeter.from_config("ref", {"map": "jianding_sim_ref", "timeout_s": 1.0, "retries": 2, **cfg})
    f32, f64 = raw.DATATYPE.FLOAT32, raw.DATATYPE.FLOAT64

    async def raw_cycle() -> tuple[list[float], float]:
        inst = await raw.read_input_registers(0x0000, count=10, device_id=1)
        energy = await raw.read_input_registers(0x0010, count=4, device_id=1)
        if inst.isError() or energy.isError():
            raise RuntimeError("raw pymodbus read failed")
        values = [float(raw.convert_from_registers(inst.registers[i:i + 2], f32))  # type: ignore[arg-type]
                  for i in range(0, 10, 2)]
        return values, float(raw.convert_from_registers(energy.registers, f64))  # type: ignore[arg-type]

    async def driver_cycle() -> None:
        await meter.read_instantaneous()
        await meter.read_energy_wh()

    rounds = 4
    raw_n = drv_n = 0
    raw_t = drv_t = 0.0
    try:
        # Alternate short rounds so that drift (CPU frequency, other load) hits both alike; one client
        # at a time, since a serial port can only be opened once.
        for _ in range(rounds):
            if not await raw.connect():
                raise RuntimeError(f"raw pymodbus client cannot connect to {where}")
            n, t = await _measure(raw_cycle, seconds / rounds)
            raw_n, raw_t = raw_n + n, raw_t + t
            raw.close()
            await meter.connect()
            n, t = await _measure(driver_cycle, seconds / rounds)
            drv_n, drv_t = drv_n + n, drv_t + t
            await meter.close()
    finally:
        raw.close()
        await meter.close()
        await twin.stop()
        if link is not None:
            link.close()

    raw_rate, drv_rate = raw_n / raw_t, drv_n / drv_t
    print(f"Modbus reads against the ref-meter twin on {where}, {seconds:g} s each "
          f"(in {rounds} alternating rounds)")
    print("one cycle = read_instantaneous() + read_energy_wh() = 2 requests (10 + 4 input registers)")
    print(f"  raw pymodbus client : {raw_rate:9.1f} cycles/s  {2 * raw_rate:9.1f} requests/s  "
          f"{1e3 / raw_rate:6.3f} ms/cycle")
    print(f"  Jianding ModbusMeter: {drv_rate:9.1f} cycles/s  {2 * drv_rate:9.1f} requests/s  "
          f"{1e3 / drv_rate:6.3f} ms/cycle")
    print(f"  driver / raw        : {drv_rate / raw_rate:9.2f} (throughput ratio; overhead "
          f"{(1 / drv_rate - 1 / raw_rate) * 1e6:+.0f} µs per cycle)")
    stats = meter.transport.stats
    print(f"  driver wire stats   : {stats.requests} requests, {stats.attempts} attempts, "
          f"{stats.garbled} garbled, {stats.silent} unanswered")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: parse options and run the benchmark once."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.modbus_reads", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=3.0, help="measuring time per client (default 3)")
    p.add_argument("--transport", choices=("tcp", "rtu"), default="tcp")
    args = p.parse_args(argv)
    asyncio.run(run(args.seconds, args.transport))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
