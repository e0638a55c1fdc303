"""The station file (TOML): devices and their ports and roles, the instrument, the institution,
people, numbering, sim twins, and procedure overrides. See docs/station-file.md."""

from __future__ import annotations

import tomllib
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

KNOWN_ROLES = {"energy_standard", "pulse_counter", "load", "charger", "bms", "dispenser", "volume_standard",
               "mmq_standard", "flow_bench", "flow_standard", "power_source", "multi_counter", "clock_tester",
               "register_reader"}


class StationError(ValueError):
    """The station file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class DeviceSpec:
    """One device section: driver, the roles it plays, its connection settings."""

    name: str
    driver: str
    roles: tuple[str, ...]
    config: dict[str, Any]
    standard: str | None = None
    u95_pct: float | None = None


@dataclass
class Station:
    """A parsed station file."""

    path: str
    raw: dict[str, Any]
    devices: list[DeviceSpec] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The workstation's name."""
        return str(self.raw.get("station", {}).get("name", "Jianding"))

    @property
    def place(self) -> str:
        """Where verification takes place (printed on the certificate)."""
        return str(self.raw.get("station", {}).get("place", ""))

    @property
    def sim(self) -> dict[str, Any]:
        """The [sim] section ({} when absent)."""
        return dict(self.raw.get("sim", {}))

    @property
    def sim_enabled(self) -> bool:
        """Whether bench starts hardware_sim twins for this station."""
        return bool(self.sim.get("enabled", False))

    @property
    def base_dir(self) -> Path | None:
        """The station file's directory, where its relative file names (an OCPP credentials file,
        a TLS certificate) are read; ``None`` for a station not read from a file."""
        return None if self.path.startswith("<") else Path(self.path).parent

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table, {} when absent."""
        return dict(self.raw.get(name, {}))

    def device_for(self, role: str) -> DeviceSpec:
        """The device that plays ``role``."""
        for d in self.devices:
            if role in d.roles:
                return d
        raise StationError(f"{self.path}: no device plays role {role!r} (add roles = [\"{role}\"] to a [devices.*] section)")

    @property
    def time_standard(self) -> dict[str, Any]:
        """The reference time for clock items ([time_standard]): the system clock (NTP/GNSS
        disciplined) unless a time standard on the ledger is named by ``standard``."""
        return {"name": "工作站系统时钟 (NTP 同步) / workstation clock", "source": "system",
                **self.raw.get("time_standard", {})}

    @property
    def is_bench(self) -> bool:
        """Whether the station is a multi-position bench (it has a [bench] section)."""
        return "bench" in self.raw

    def bench_serials(self) -> dict[int, str]:
        """The instruments on a multi-position bench, position (1-based) → serial number.

        ``[bench] serials = ["A001", "", "A003"]`` names them in position order ("" leaves a
        position empty); or ``positions = 24`` with ``serial_format = "SIMEM{position:04d}"``
        numbers a batch. All instruments of one run share the [instrument] section (one model, one
        batch). {} for a station without a [bench] section."""
        bench = self.section("bench")
        if not bench:
            return {}
        if "serials" in bench:
            serials = bench["serials"]
            if not isinstance(serials, list) or not all(isinstance(x, str) for x in serials):
                raise StationError(f"{self.path}: [bench] serials must be a list of strings (\"\" for an empty position)")
            out = {i: s.strip() for i, s in enumerate(serials, start=1) if s.strip()}
        elif "positions" in bench and "serial_format" in bench:
            try:
                out = {p: str(bench["serial_format"]).format(position=p) for p in range(1, int(bench["positions"]) + 1)}
            except (KeyError, ValueError, IndexError) as e:
                raise StationError(f"{self.path}: [bench] serial_format: {e} (use {{position}}, e.g. \"SN{{position:04d}}\")") from None
        else:
            raise StationError(f"{self.path}: [bench] needs serials = [...] or positions = N with serial_format")
        if not out:
            raise StationError(f"{self.path}: [bench] names no instrument")
        duplicates = sorted({s for s in out.values() if list(out.values()).count(s) > 1})
        if duplicates:
            raise StationError(f"{self.path}: [bench] serial numbers repeat: {', '.join(duplicates)}")
        return out

    def standards(self, unused_roles: Collection[str] = ()) -> list[str]:
        """Serial numbers of the reference standards a run on this station uses (checked before the
        run, listed on its certificate): every device's, except a device whose roles are all among
        ``unused_roles`` (roles the run's procedure does not use)."""
        skip = set(unused_roles)
        serials = [d.standard for d in self.devices if d.standard and not (d.roles and set(d.roles) <= skip)]
        if self.time_standard.get("standard"):
            serials.append(str(self.time_standard["standard"]))
        return serials


def load_station(path: str | Path) -> Station:
    """Read and validate a station file."""
    p = Path(path)
    try:
        raw = tomllib.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise StationError(f"station file not found: {p}") from None
    except tomllib.TOMLDecodeError as e:
        raise StationError(f"{p}: invalid TOML: {e}") from None
    return parse_station(raw, str(p))


def parse_station(raw: dict[str, Any], path: str = "<station>") -> Station:
    """Validate a station dict."""
    st = Station(path=path, raw=raw)
    for name, sec in raw.get("devices", {}).items():
        if not isinstance(sec, dict):
            raise StationError(f"{path}: [devices.{name}] must be a table")
        driver = sec.get("driver")
        if not driver:
            raise StationError(f"{path}: [devices.{name}] needs driver = \"modbus_meter\" | \"ocpp\" | \"gbt27930_bms\" | "
                               "\"serial_dispenser\" | \"manual\"")
        roles = tuple(sec.get("roles", ()))
        unknown = set(roles) - KNOWN_ROLES
        if unknown:
            raise StationError(f"{path}: [devices.{name}] unknown roles {sorted(unknown)}; known: {sorted(KNOWN_ROLES)}")
        cfg = {k: v for k, v in sec.items() if k not in {"driver", "roles", "standard", "u95_pct"}}
        st.devices.append(DeviceSpec(name=name, driver=driver, roles=roles, config=cfg,
                                     standard=sec.get("standard"), u95_pct=sec.get("u95_pct")))
    return st


def example_station_path(kind: str = "ac") -> Path:
    """A shipped demo station file (also the example for a real site): ``ac``, ``dc`` or ``fuel``."""
    return Path(str(resources.files("bench.stations").joinpath(f"{kind}_demo.toml")))
