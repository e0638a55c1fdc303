"""The institution profile (检定机构档案): one TOML file per institution — name, logo, authorisation,
contacts, each signer's signature image, the seal area, the platform's public lookup address and how
documents are numbered — named by every station file (``[station] institution = "demo"`` or a
path), so every station and every document kind prints the same institution. Format:
docs/station-file.md, "Institution profile"; the shipped example is ``bench/institutions/demo.toml``.

A run keeps the profile as it was when the run was prepared (in its station snapshot, key
``institution_profile``), so a resumed run, its documents and its signing use that profile.
Snapshots of runs prepared before profiles existed carry the station's own ``[institution]``,
``[people]`` signature keys and ``[numbering]``; :func:`legacy_profile` reads them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bench.names import normalised
from procedures.records import Contact, Institution, People
from sync.seal import is_lookup_url

DEFAULT_FORMAT = "{prefix}-{station}-{year}-{seq:05d}"
"""Document numbers unless the profile's ``[numbering] format`` says otherwise: JD-AC01-2026-00001."""

ROLES = ("verifier", "checker", "approver")
_INSTITUTION_KEYS = {"name", "authorisation_no", "address", "postcode", "phone", "fax", "email"}


class ProfileError(ValueError):
    """The institution profile is missing or wrong; the message names the file and the key."""


@dataclass(frozen=True)
class InstitutionProfile:
    """A parsed institution profile: ``raw`` as in the TOML file (image paths made absolute when
    they name a file beside the profile), ``path`` where it was read from."""

    path: str
    raw: dict[str, Any]

    @property
    def section(self) -> dict[str, Any]:
        """The ``[institution]`` table."""
        return dict(self.raw.get("institution", {}))

    @property
    def name(self) -> str:
        """The institution's name."""
        return str(self.section.get("name", ""))

    @property
    def numbering(self) -> dict[str, Any]:
        """The ``[numbering]`` table (prefixes and format)."""
        return dict(self.raw.get("numbering", {}))

    @property
    def signing_key(self) -> str:
        """The private key's path when the profile names one ("" = beside the database)."""
        return str(self.section.get("signing_key", ""))

    def signature_of(self, person: str) -> str:
        """The signature image of ``person`` (names compared as bench.names.normalised), "" if none."""
        wanted = normalised(person)
        if not wanted:
            return ""
        for name, entry in self.raw.get("people", {}).items():
            if normalised(name) == wanted and isinstance(entry, dict):
                return str(entry.get("signature", ""))
        return ""

    def people(self, verifier: str = "", checker: str = "", approver: str = "") -> People:
        """The signers with their signature images from this profile."""
        names = {"verifier": verifier, "checker": checker, "approver": approver}
        return People(**names, **{f"{role}_signature": self.signature_of(names[role]) for role in ROLES})

    def institution(self) -> Institution:
        """The issuing body as a record carries it."""
        sec = self.section
        seal = self.raw.get("seal", {})
        return Institution(
            **{k: str(sec[k]) for k in _INSTITUTION_KEYS if k in sec},
            logo_path=str(sec.get("logo", "")),
            contacts=tuple(Contact(**{k: str(v) for k, v in c.items()}) for c in self.raw.get("contacts", ())),
            lookup_url=str(sec.get("lookup_url", "")).rstrip("/"),
            seal_label=str(seal.get("label", "")),
            seal_diameter_mm=float(seal.get("diameter_mm", 36.0)),
        )

    def number(self, prefix: str, station_code: str, year: int, seq: int) -> str:
        """A document number: the profile's ``[numbering] format`` (default :data:`DEFAULT_FORMAT`)
        with the kind's ``prefix``, the station's code, the year and the database's sequence."""
        fmt = str(self.numbering.get("format", DEFAULT_FORMAT))
        if not station_code and "{station" in fmt:
            raise ProfileError("站点文件缺少 [station] code，文书编号需要它 (the station file needs [station] code, "
                               "e.g. code = \"AC01\": document numbers carry it so two stations never share one)")
        try:
            return fmt.format(prefix=prefix, station=station_code, year=year, seq=seq)
        except (KeyError, ValueError, IndexError) as e:
            raise ProfileError(f"{self.path}: [numbering] format {fmt!r}: {e} (use {{prefix}}, {{station}}, {{year}}, "
                               "{seq:05d})") from None

    def snapshot(self) -> dict[str, Any]:
        """What a run keeps of the profile (``institution_profile`` in its station snapshot)."""
        return {**self.raw, "source": self.path}


def shipped_profile_path(name: str) -> Path:
    """A profile shipped with the program (``bench/institutions/<name>.toml``)."""
    return Path(str(resources.files("bench.institutions").joinpath(f"{name}.toml")))


def load_profile(ref: str, base: Path | None = None) -> InstitutionProfile:
    """The profile a station names: a shipped name (``demo``) or a path to a TOML file (relative to
    ``base``, the station file's folder, then to the working directory)."""
    if not ref.endswith(".toml") and "/" not in ref and "\\" not in ref:
        path = shipped_profile_path(ref)
        if not path.is_file():
            raise ProfileError(f"无此机构档案 (no shipped institution profile {ref!r}; give a path to a .toml file)")
    else:
        given = Path(ref).expanduser()
        options = [given] if given.is_absolute() else [*(([base / given]) if base else []), Path.cwd() / given]
        path = next((o for o in options if o.is_file()), options[0])
    return parse_profile(read_toml(path, ProfileError, "机构档案不存在 (institution profile not found)"), str(path))


def read_toml(path: Path, error: type[ValueError], missing: str) -> dict[str, Any]:
    """A TOML file's tables; ``error`` naming the file when it is missing (``missing``: the words
    that say what was looked for) or not valid TOML. Station files and profiles are read by it."""
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise error(f"{missing}: {path}") from None
    except IsADirectoryError:
        raise error(f"{path}: 是目录而非文件 (is a directory, not a file)") from None
    except OSError as e:
        raise error(f"{path}: 无法读取 (cannot read: {e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise error(f"{path}: 不是 UTF-8 文本 (not UTF-8 text: byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise error(f"{path}: invalid TOML: {e}") from None


def parse_profile(raw: dict[str, Any], path: str) -> InstitutionProfile:
    """Validate a profile dict; image paths that name a file beside the profile become absolute."""
    sec = raw.get("institution")
    if not isinstance(sec, dict) or not str(sec.get("name", "")).strip():
        raise ProfileError(f"{path}: [institution] name is required (机构名称)")
    unknown = set(sec) - _INSTITUTION_KEYS - {"logo", "lookup_url", "signing_key"}
    if unknown:
        raise ProfileError(f"{path}: [institution] unknown keys {sorted(unknown)}")
    url = str(sec.get("lookup_url", ""))
    if url and not is_lookup_url(url):
        raise ProfileError(f"{path}: [institution] lookup_url must be an https:// address (a phone opens it; "
                           f"http:// only for the reference platform on 127.0.0.1): {url!r}")
    for i, c in enumerate(raw.get("contacts", ())):
        if not isinstance(c, dict) or not c.get("role"):
            raise ProfileError(f"{path}: [[contacts]] #{i + 1} needs role = \"…\" (e.g. 业务咨询)")
    folder = Path(path).parent
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in raw.items() if k != "source"}
    if sec.get("logo"):
        out["institution"] = {**sec, "logo": _beside(str(sec["logo"]), folder)}
    out["people"] = {name: {**e, "signature": _beside(str(e.get("signature", "")), folder)} if isinstance(e, dict) else e
                     for name, e in raw.get("people", {}).items()}
    return InstitutionProfile(path=str(raw.get("source", path)), raw=out)


def _beside(image: str, folder: Path) -> str:
    """``image`` made absolute when it names a file in ``folder``; else as given (then the working
    directory and the installation root are tried when the document is drawn)."""
    if not image or Path(image).is_absolute():
        return image
    candidate = folder / image
    return str(candidate.resolve()) if candidate.is_file() else image


def legacy_profile(station: dict[str, Any], path: str) -> InstitutionProfile:
    """The profile of a run snapshot made before profiles: the station's ``[institution]`` (logo as
    ``logo_path``), the ``[people]`` signature images and ``[numbering]``; no seal area, no lookup URL."""
    sec = {k: v for k, v in station.get("institution", {}).items() if k in _INSTITUTION_KEYS | {"signing_key"}}
    logo = station.get("institution", {}).get("logo_path", "")
    people = station.get("people", {})
    images = {str(people[role]): {"signature": str(people[f"{role}_signature"])}
              for role in ROLES if people.get(role) and people.get(f"{role}_signature")}
    return InstitutionProfile(path=path, raw={
        "institution": {"name": "某市计量检定测试所", **sec, **({"logo": logo} if logo else {})},
        "numbering": {"format": "{prefix}{year}-{seq:05d}", **station.get("numbering", {})}, "people": images})
