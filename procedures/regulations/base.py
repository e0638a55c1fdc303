"""The plumbing every regulation module shares, so that each module holds only its own rules.

- :class:`RegulationProcedure`: a procedure object's identity and record interface — the data table
  merged with the station's overrides, edition and verification type checked, ``code``/``title``,
  ``procedure_hash``, ``verification_type_zh()``, ``item_def()``, ``items()`` (via
  :func:`~procedures.regulations.common.items_from_steps`), ``environment()``, ``flags()`` and
  ``signed_meter_values()``. A regulation subclasses it, names its ``TABLE`` (and the metrology
  modules whose formulas it applies, ``RULE_MODULES``), checks what is its own and builds its steps.
- :class:`RunParams`: the JSON round trip of a params dataclass (``to_dict``/``from_dict``, stored
  with the run for resume), by the dataclass's own fields and types; :class:`BenchParams` adds the
  positions of a multi-position bench run.
- Helpers for ``from_instrument``: the ledger row's technical parameters (:func:`technical_params`),
  the meter's pulse value (:func:`pulse_value_l`), a standard's U95 (:func:`standard_u95`).
- :func:`environment_steps`: the ambient temperature / humidity entries of a run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import types
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar, Self

from procedures.engine import ChecklistStep, EntryStep, Step, StepOutcome
from procedures.engine.context import StepContext
from procedures.records import Condition, ItemResult
from procedures.regulations.common import edition_clause, items_from_steps
from procedures.regulations.tables import load_table, merged, table_hash

__all__ = ["BenchParams", "PlannedStep", "RegulationProcedure", "Resource", "RunParams", "UncertaintyCheck",
           "checklist_plan", "entry_plan", "environment_steps", "equipment_times", "operator_times",
           "pulse_quantisation_why", "pulse_value_l", "standard_u95", "technical_params"]

Resource = tuple[Callable[[StepContext], Awaitable[None]], Callable[[StepContext], Awaitable[None]]]
"""A named session resource of a procedure: (set-up, teardown), the teardown always run at the end."""


@dataclass(frozen=True)
class UncertaintyCheck:
    """A precondition of the whole run: the standard playing ``role`` has U95 ≤ ``ratio`` ×
    ``mpe_pct`` (the tightest MPE the run judges), per ``clause``. Checked before the run starts;
    a standard that fails it refuses the run (a verdict resting on it could fall in the JJF 1094
    undetermined zone at any point)."""

    role: str
    mpe_pct: float
    ratio: float
    ratio_text: str
    clause: str = ""

    @property
    def limit_pct(self) -> float:
        """The largest U95 (%) the standard may have."""
        return self.ratio * self.mpe_pct

    def refusal(self, standard: str, u95_pct: float | None) -> str:
        """Why the standard ``standard`` (its name and serial) cannot serve, or "" when it can."""
        if u95_pct is None:
            return (f"标准器 {standard}（{self.role}）未登记 U95，无法核对其不确定度不大于 MPE 的 {self.ratio_text} "
                    f"(the standard's U95 is not on record: set u95_pct from its certificate; {self.clause})")
        if u95_pct > self.limit_pct + 1e-12:
            return (f"标准器 {standard}（{self.role}）U95 = {u95_pct:g} % 大于被检 MPE ±{self.mpe_pct:g} % 的 "
                    f"{self.ratio_text}（{self.limit_pct:.4g} %），拒绝检定 (the standard's U95 {u95_pct:g} % exceeds "
                    f"{self.ratio_text} of the MPE {self.mpe_pct:g} %: {self.limit_pct:.4g} %; {self.clause})")
        return ""


@dataclass(frozen=True)
class PlannedStep:
    """A step's minimum real duration on real hardware (no simulation speed-up) and why: the
    energy, volume or time the regulation's numbers require, or the nominal time a person takes."""

    key: str
    title: str
    seconds: float
    why: str


def operator_times(overrides: Mapping[str, Any]) -> dict[str, float]:
    """Nominal durations of what a person does (data/plan.toml ``[operator]``, station
    ``[procedure.plan.operator]`` overriding)."""
    return _plan_times(overrides, "operator")


def equipment_times(overrides: Mapping[str, Any]) -> dict[str, float]:
    """Nominal durations of what the equipment does besides the measurement itself — a bench's
    valves in a start-stop test, a scale settling (data/plan.toml ``[equipment]``, station
    ``[procedure.plan.equipment]`` overriding)."""
    return _plan_times(overrides, "equipment")


def _plan_times(overrides: Mapping[str, Any], section: str) -> dict[str, float]:
    """One section of data/plan.toml as seconds, the station's ``[procedure.plan]`` overriding."""
    table = merged(load_table("plan"), dict(overrides.get("plan", {})))
    return {k: float(v) for k, v in table[section].items()}


def checklist_plan(step: Step, points: int, ops: Mapping[str, float], positions: int = 1) -> PlannedStep:
    """The plan of a checklist: ``points`` (× the ``positions`` of a bench, each meter looked at)
    × the nominal time of one point."""
    each = ops["checklist_point_s"]
    if positions > 1:
        return PlannedStep(step.key, step.title, points * positions * each,
                           f"{points} 项检查 × {positions} 表位，每项约 {each:g} s (points × positions, nominal)")
    return PlannedStep(step.key, step.title, points * each, f"{points} 项检查，每项约 {each:g} s (points, nominal)")


def entry_plan(step: Step, ops: Mapping[str, float], entries: int = 1) -> PlannedStep:
    """The plan of a step in which the operator reads ``entries`` values (thermometer, hygrometer …)
    and types them: the nominal time of an entry each."""
    each = ops["entry_s"]
    if entries == 1:
        return PlannedStep(step.key, step.title, each, "操作员读数录入 (operator entry, nominal)")
    return PlannedStep(step.key, step.title, entries * each,
                       f"操作员读数录入 {entries} 项，每项约 {each:g} s (operator entries, nominal)")


def pulse_quantisation_why(c0: float, n: int, c_l: float, limit_pct: float, limit_zh: str, limit_en: str) -> str:
    """Why a gate of ``n`` meter pulses is (or is not) long enough for the standard: it counts
    m0 = C0·N/C_L pulses over the gate (regulations.md §0.1), so one standard pulse is 100/m0 % of
    the error; that must stay within ``limit_pct`` (named ``limit_zh`` / ``limit_en``, e.g. MPE/10)."""
    m0 = c0 * n / c_l
    one = 100.0 / m0
    head = f"m0 = C0·N/C_L = {m0:.0f}（C0 {c0:g} imp/kWh，N {n}，C_L {c_l:g} imp/kWh），1 个标准脉冲 = {one:.4f} %"
    if one <= limit_pct + 1e-12:
        return f"{head} ≤ {limit_zh} = {limit_pct:g} % (one standard pulse within {limit_en})"
    return f"{head} > {limit_zh} = {limit_pct:g} % — 应增加脉冲数 (one standard pulse exceeds {limit_en}: raise N)"


# -- params -----------------------------------------------------------------------------------------
def technical_params(instrument: Any) -> dict[str, Any]:
    """The ledger row's technical parameters (``params_json``: a JSON text or a mapping; {} when
    absent) — the nameplate values a regulation reads in ``from_instrument``."""
    raw = getattr(instrument, "params_json", None) or "{}"
    return dict(json.loads(raw)) if isinstance(raw, str) else dict(raw)


def pulse_value_l(tech: Mapping[str, Any]) -> float | None:
    """The meter's pulse value (L/pulse) from its technical parameters: ``l_per_pulse``, else
    1/``pulses_per_l``, else None (no pulse output: the operator reads the dial)."""
    if "l_per_pulse" in tech:
        return float(tech["l_per_pulse"])
    if "pulses_per_l" in tech:
        return 1.0 / float(tech["pulses_per_l"])
    return None


def standard_u95(station: Any, role: str, *, required: bool = True) -> float | None:
    """U95 (%) of the station's device playing ``role`` (from its certificate), None when not given.
    With ``required`` the station must have such a device (its error names the role); without, a
    station lacking it gives None (then the simple JJF 1094 rule applies)."""
    try:
        device = station.device_for(role)
    except ValueError:  # the station's "no device plays this role" (StationError)
        if required:
            raise
        return None
    u95 = getattr(device, "u95_pct", None)
    return None if u95 is None else float(u95)


def _json_form(value: Any) -> Any:
    """``value`` as JSON holds it: dataclasses as dicts of their fields, tuples as lists, mapping
    keys as strings (bench positions 7 → "7")."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json_form(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _json_form(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_form(v) for v in value]
    return value


def _from_json_form(tp: Any, value: Any) -> Any:
    """Inverse of :func:`_json_form` for a value of declared type ``tp``: nested dataclasses
    rebuilt, tuples from lists, integer mapping keys from strings; anything else as stored."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        kinds = [a for a in typing.get_args(tp) if a is not type(None)]
        return _from_json_form(kinds[0], value) if len(kinds) == 1 else value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return tp(**{f.name: _from_json_form(hints[f.name], value[f.name])
                     for f in dataclasses.fields(tp) if f.name in value})
    if origin is tuple:
        return tuple(value)
    if origin is dict and typing.get_args(tp)[:1] == (int,):
        return {int(k): v for k, v in value.items()}
    return value


class RunParams:
    """Mixin for a regulation's frozen params dataclass: the JSON form stored with the run and its
    inverse, from the dataclass's fields and their declared types (so a params type lists its
    fields once). A field missing from the stored form takes its default."""

    def to_dict(self) -> dict[str, Any]:
        """JSON form stored with the run (enough to rebuild the procedure on resume)."""
        out: dict[str, Any] = _json_form(self)
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict`."""
        out: Self = _from_json_form(cls, d)
        return out


class BenchParams(RunParams):
    """:class:`RunParams` of a batch on a multi-position bench named by its ``serials`` (position →
    serial, a field of the dataclass): the positions in use follow from them, and the step context
    carries them."""

    serials: dict[int, str]

    @property
    def positions(self) -> tuple[int, ...]:
        """Bench positions in use, ascending."""
        return tuple(sorted(self.serials))

    def context(self) -> dict[str, Any]:
        """What the step context carries besides the devices: the serial at each position."""
        return {"serials": {str(p): s for p, s in self.serials.items()}}


# -- steps ------------------------------------------------------------------------------------------
def environment_steps(temperature_c: Sequence[float], humidity_pct: Sequence[float]) -> list[Step]:
    """The operator's entries of the ambient temperature (°C) and relative humidity (%), each
    within the regulation's limits [low, high] (data ``temperature_c`` / ``humidity_pct``, read by
    :meth:`RegulationProcedure.environment`)."""
    return [
        EntryStep("env_temperature", "环境温度", "environment", prompt="环境温度 (ambient temperature)",
                  unit="degC", low=temperature_c[0], high=temperature_c[1], data_key="temperature_c",
                  title_en="Ambient temperature"),
        EntryStep("env_humidity", "相对湿度", "environment", prompt="相对湿度 (relative humidity)",
                  unit="percent", low=humidity_pct[0], high=humidity_pct[1], data_key="humidity_pct",
                  title_en="Relative humidity"),
    ]


# -- the procedure ----------------------------------------------------------------------------------
class RegulationProcedure:
    """A regulation's procedure for one run: its data table (shipped table merged with the station's
    ``[procedure]`` overrides), the edition and verification type checked against it, identity for
    the record and the record's items. A subclass names ``TABLE`` and ``RULE_MODULES``, calls
    ``super().__init__(params)``, checks its own parameters, sets ``self.steps`` and gives
    :meth:`resources`."""

    TABLE: ClassVar[str] = ""
    CONDITIONS: ClassVar[tuple[tuple[tuple[str, ...], str, str, str], ...]] = ()
    """The regulation's test conditions besides the room's, printed on the document's conditions line
    (:meth:`conditions`): (step-data keys holding the measured values, Chinese name, English name, unit)."""
    RULE_MODULES: ClassVar[tuple[types.ModuleType, ...]] = ()
    """Metrology modules whose formulas the regulation applies: their text is part of the hash."""

    steps: Sequence[Step]

    def __init__(self, params: Any) -> None:
        self.params = params
        t = self.table = merged(load_table(self.TABLE), params.overrides)
        if params.edition not in t["editions"]:
            raise ValueError(f"{self.TABLE} edition {params.edition!r} unknown; choose one of {sorted(t['editions'])}")
        if params.verification_type not in t["verification_types"]:
            raise ValueError(f"verification type {params.verification_type!r} unknown; "
                             f"choose one of {sorted(t['verification_types'])}")
        self.edition: dict[str, Any] = t["editions"][params.edition]
        self.code = str(self.edition["code"])
        self.title = str(self.edition.get("title", t["regulation"]["title"]))

    # -- identity -------------------------------------------------------------------------------
    def rule_sources(self) -> list[str]:
        """Source files that hold the rules: the modules of this procedure's classes (the regulation
        module, shared ones and this one) and its ``RULE_MODULES``, each once."""
        paths: list[str] = []
        modules = [sys.modules[c.__module__] for c in type(self).__mro__ if c is not object]
        for module in [*modules, *self.RULE_MODULES]:
            path = module.__file__
            if path and path not in paths:
                paths.append(path)
        return paths

    @property
    def procedure_hash(self) -> str:
        """Hash of the data table, the effective overrides and the sources of the rules
        (:meth:`rule_sources`): any change to the rules changes the hash in the record."""
        h = hashlib.sha256()
        h.update(table_hash(self.TABLE).encode())
        h.update(json.dumps(self.params.overrides, sort_keys=True).encode())
        for path in self.rule_sources():
            with open(path, "rb") as f:
                h.update(f.read())
        return h.hexdigest()[:16]

    def verification_type_zh(self) -> str:
        """首次检定 / 后续检定 / 使用中检查."""
        return str(self.table["verification_types"][self.params.verification_type][0])

    def item_def(self, key: str) -> dict[str, Any]:
        """The data-table entry of an item, with ``clause`` the printable clause of this run's
        edition (:meth:`clause`)."""
        return {**self.table["items"][key], "clause": self.clause(key)}

    def clause(self, key: str) -> str:
        """The clause an item follows in the edition this run uses, as printed in the 条款 column:
        the edition's ``clauses`` table (:func:`~procedures.regulations.common.edition_clause`);
        "" where the table records it as OPEN."""
        return edition_clause(self.edition, key)

    def uncertainty_checks(self) -> tuple[UncertaintyCheck, ...]:
        """What the standards' uncertainty must meet before the run starts (JJF 1094-2002
        §5.3.1.6 and the regulation's own ratio, data ``[standard_uncertainty]``): for each role the
        table lists, U95 of that standard ≤ ratio × the tightest MPE (in %) this run judges. The
        ratio is a number, a fraction text ("1/3") or a table by verification type (JJG 162: 1/5
        first, 1/3 subsequent [R sec.]). Empty when the table has no ``[standard_uncertainty]``."""
        u = self.table.get("standard_uncertainty")
        if not u:
            return ()
        mpes = [float(m.mpe) for step in self.steps for m in getattr(step, "measurements", ())
                if m.unit == "%" and m.mpe]
        if not mpes:
            return ()
        ratio = u["ratio"]
        if isinstance(ratio, Mapping):
            ratio = ratio.get(self.params.verification_type, ratio.get("default"))
        text = str(ratio)
        value = float(Fraction(text)) if isinstance(ratio, str) else float(ratio)
        return tuple(UncertaintyCheck(role=str(role), mpe_pct=min(mpes), ratio=value, ratio_text=text,
                                      clause=str(u.get("clause", "")))
                     for role in u.get("roles", ()) if role not in self.unused_roles())

    def plan(self, hints: Mapping[str, Any] | None = None) -> list[PlannedStep]:
        """Each step's minimum real duration and why (``jianding plan``; the remaining time shown
        during a run). Operator steps take their nominal time (data/plan.toml); a regulation
        plans its measurement steps in :meth:`plan_step`. ``hints`` carry what the station knows
        (e.g. the standard's constant)."""
        ops = operator_times(self.params.overrides)
        out: list[PlannedStep] = []
        for step in self.steps:
            if isinstance(step, ChecklistStep):
                out.append(checklist_plan(step, len(step.points), ops))
            elif isinstance(step, EntryStep):
                out.append(entry_plan(step, ops))
            else:
                out.append(self.plan_step(step, ops, dict(hints or {})))
        return out

    def plan_step(self, step: Step, ops: Mapping[str, float], hints: Mapping[str, Any]) -> PlannedStep:
        """The plan of one measurement step; a regulation that has not modelled a step says so."""
        return PlannedStep(step.key, step.title, 0.0, "未建模 (duration not modelled)")

    def unused_roles(self) -> frozenset[str]:
        """Device roles a station may declare that this run does not use (e.g. the MMQ can when the
        item is off): their standards are neither checked nor listed among the standards used on
        the certificate (JJF 1069: the standards *used* for the verification)."""
        return frozenset()

    # -- resources ------------------------------------------------------------------------------
    def resources(self) -> dict[str, Resource]:
        """Named session resources (set-up, teardown), each torn down at the end of the run."""
        raise NotImplementedError

    # -- the record -----------------------------------------------------------------------------
    @property
    def item_keys(self) -> Sequence[str]:
        """The regulation's items of this run, in its order (the edition's ``items``)."""
        return list(self.edition["items"])

    def items(self, outcomes: Mapping[str, StepOutcome], position: int | None = None) -> tuple[ItemResult, ...]:
        """The regulation's items in its order, with clause, results, notes and verdict — for one
        bench position when ``position`` is given (its results and those of the whole run)."""
        return items_from_steps(self.table, self.item_keys, self.steps, outcomes, position, edition=self.edition)

    def environment(self, outcomes: Mapping[str, StepOutcome]) -> dict[str, float | None]:
        """Ambient temperature and humidity as entered (:func:`environment_steps`)."""
        t = outcomes.get("env_temperature")
        h = outcomes.get("env_humidity")
        return {"temperature_c": t.data.get("temperature_c") if t else None,
                "humidity_pct": h.data.get("humidity_pct") if h else None}

    def conditions(self, outcomes: Mapping[str, StepOutcome], position: int | None = None) -> tuple[Condition, ...]:
        """The conditions of :attr:`CONDITIONS` as measured: every finite number the steps' data hold
        under their keys (a value or a list of them, in step order), one :class:`Condition` each that
        was measured. ``position`` is accepted for benches, whose conditions are the bench's own."""
        out: list[Condition] = []
        for keys, zh, en, unit in self.CONDITIONS:
            values: list[float] = []
            for s in self.steps:
                o = outcomes.get(s.key)
                for key in keys:
                    raw = o.data.get(key) if o is not None else None
                    for v in raw if isinstance(raw, list | tuple) else [raw]:
                        if isinstance(v, int | float) and not isinstance(v, bool) and v == v and abs(v) != float("inf"):
                            values.append(float(v))
            if values:
                out.append(Condition(key=keys[0], zh=zh, en=en, unit=unit, values=tuple(values)))
        return tuple(out)

    def flags(self, outcomes: Mapping[str, StepOutcome]) -> tuple[str, ...]:
        """What the steps found doubtful (``data["flags"]`` of each step, in step order), carried on
        the record."""
        out: list[str] = []
        for s in self.steps:
            o = outcomes.get(s.key)
            if o is not None:
                out.extend(o.data.get("flags", ()))
        return tuple(out)

    def signed_meter_values(self, outcomes: Mapping[str, StepOutcome]) -> dict[str, Any] | None:
        """Signed meter values of the run (OCMF); None for instruments that sign nothing."""
        return None
