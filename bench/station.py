"""The station file (TOML): devices and their ports and roles, the instrument, the institution
profile it names and its code, people, sim twins, and procedure overrides. See docs/station-file.md."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from bench.institution import (
    InstitutionProfile,
    ProfileError,
    legacy_profile,
    load_profile,
    parse_profile,
    read_toml,
)
from bench.station_schema import validate_station

PROFILE_KEY = "institution_profile"
"""Where a run's station snapshot keeps the institution profile as it was when the run was prepared."""

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
    def code(self) -> str:
        """The station's code within its institution (``[station] code``, e.g. AC01): part of every
        document number, so two stations of one institution never issue the same number."""
        return str(self.raw.get("station", {}).get("code", ""))

    @cached_property
    def institution(self) -> InstitutionProfile:
        """The institution profile this station names (``[station] institution``, default the shipped
        ``demo``); a run's snapshot carries its own copy (``institution_profile``)."""
        try:
            if isinstance(self.raw.get(PROFILE_KEY), dict):
                return parse_profile(self.raw[PROFILE_KEY], self.path)
            if isinstance(self.raw.get("institution"), dict):  # a run prepared before profiles
                return legacy_profile(self.raw, self.path)
            ref = str(self.raw.get("station", {}).get("institution", "demo"))
            return load_profile(ref, Path(self.path).parent)
        except ProfileError as e:
            raise StationError(f"{self.path}: [station] institution: {e}") from None

    def snapshot(self) -> dict[str, Any]:
        """The station as a run keeps it: the file's tables and the institution profile it named."""
        return {**self.raw, PROFILE_KEY: self.institution.snapshot()}

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
    raw = read_toml(p, StationError, "站点文件不存在 (station file not found)")
    moved = [f"[{k}]" for k in ("institution", "numbering", PROFILE_KEY) if k in raw]
    moved += [f"[people] {k}" for k in raw.get("people", {}) if k.endswith("_signature")]
    if moved:
        raise StationError(f"{p}: {', '.join(moved)} 属于机构档案，站点文件不再包含 (belong to the institution profile, not "
                           "the station file: move them into the profile and name it with [station] institution = "
                           "\"demo\" or a path; docs/station-file.md)")
    st = parse_station(raw, str(p))
    _ = st.institution  # a missing or wrong profile is an error of the station file, said now
    return st


def parse_station(raw: dict[str, Any], path: str = "<station>") -> Station:
    """Validate a station dict against the one strict schema (bench/station_schema.py): every error,
    each naming the file, section and key, in one StationError."""
    errors = validate_station(raw, path)
    if errors:
        raise StationError("\n".join(errors) if len(errors) > 1 else errors[0])
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
