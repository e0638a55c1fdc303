"""Re-testing positions of a bench run (复检) as a follow-up run linked to the first, at the wire: a
JJG 596 batch on the 4-position meter-bench twin (Modbus TCP on loopback, the meters' DL/T 645 line
on a pseudo-terminal) where the meter at position 3 does not answer; the follow-up re-tests position
3 alone once it answers again.

What a lab manager expects: the first run's readings, position rows and status stay exactly as they
were; the follow-up is its own run (own record number, own readings, only position 3) whose
``retest_of`` names the first; the certificate of position 3 is drafted from the follow-up and its
record names the run it re-tests; a position with a conclusion, a position not in the run, a run
not finished, another regulation and a second follow-up of the same position are refused in words;
the CLI does the same (``--retest-of RUN --positions 3``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.cli import demo_entries, main
from bench.controller import Controller, RunRequest
from bench.operators import AutoOperator
from bench.retest import FollowUp, parse_positions
from bench.station import StationError, example_station_path, load_station
from bench.store import Store
from procedures.engine import Event, ReadingTaken
from tests.bench.conftest import migrate
from tests.bench.test_meter_bench_e2e import _station

pytestmark = pytest.mark.timeout(180)


async def _first_run(ctl: Controller) -> str:
    """A finished 4-position batch whose meter at position 3 never answers (需复检)."""
    run_id = ctl.prepare(RunRequest(station=_station(4), regulation="jjg596",
                                    sim_overrides={"meter_bench": {"dead": [3]}}))
    summary = await ctl.execute(run_id, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    assert {p.position: p.status for p in summary.positions} == {1: "finished", 2: "finished", 3: "retest",
                                                                   4: "finished"}
    return run_id


async def test_follow_up_retests_one_position_and_its_certificate_rests_on_it(meter_store: Store,
                                                                              tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    first = await _first_run(ctl)
    before = [(r.id, r.step_key, r.key, r.value) for r in meter_store.readings(first)]
    seats_before = [(p.position, p.status, p.conclusion, p.message) for p in meter_store.positions(first)]

    # refused, in words, before anything is created
    runs = len(meter_store.runs())
    for positions, words in (([1], "已有结论 合格"), ([9], "表位 9 不在检定"), ([], "须指定")):
        with pytest.raises(StationError, match=words):
            ctl.prepare(ctl.retest_request(first, positions))
    other = ctl.retest_request(first, [3])
    other.verification_type = "subsequent"
    with pytest.raises(StationError, match="复检须按原检定的规程"):
        ctl.prepare(other)
    unfinished = ctl.prepare(RunRequest(station=_station(4), regulation="jjg596"))
    with pytest.raises(StationError, match="尚未完成"):
        ctl.prepare(RunRequest(station=_station(4), regulation="jjg596", retest_of=unfinished, positions=[3]))
    moved = _station(4)
    moved.raw["bench"] = {"serials": ["SIMEM0001", "SIMEM0002", "OTHER-METER", "SIMEM0004"]}
    with pytest.raises(StationError, match="器具已移动"):
        ctl.prepare(RunRequest(station=moved, regulation="jjg596", retest_of=first, positions=[3]))
    assert len(meter_store.runs()) == runs + 1  # only the unfinished run above

    # the meter answers again: re-test position 3 alone
    req = ctl.retest_request(first, [3], sim_overrides={"meter_bench": {"dead": []}})
    follow = ctl.prepare(req)
    summary = await ctl.execute(follow, AutoOperator(demo_entries(ctl)))
    assert summary.status == "finished", summary.message
    run, original = meter_store.get_run(follow), meter_store.get_run(first)
    assert follow != first and run.retest_of == first and run.regulation == "jjg596"
    assert run.record_no != original.record_no
    assert [(p.position, p.status, p.conclusion) for p in meter_store.positions(follow)] == [(3, "finished", "合格")]
    assert meter_store.positions(follow)[0].instrument_id == meter_store.positions(first)[2].instrument_id

    # the re-test has its own readings, of position 3 only; the first run's are untouched
    keys = {r.key for r in meter_store.readings(follow)}
    assert "p03:r1" in keys and not any(k.startswith(("p01:", "p02:", "p04:")) for k in keys)
    assert [(r.id, r.step_key, r.key, r.value) for r in meter_store.readings(first)] == before
    assert [(p.position, p.status, p.conclusion, p.message) for p in meter_store.positions(first)] == seats_before
    assert original.status == "finished"

    # the certificate of position 3 rests on the follow-up
    (ps,) = summary.positions
    assert ps.position == 3 and ps.serial == "SIMEM0003" and ps.record is not None and ps.record.passed
    assert ps.record.run_id == follow and ps.record.station["retest_of"] == original.record_no
    assert ps.record.reading_count == len(meter_store.readings(follow))
    assert ctl.certificates.get(ps.certificate_no).row.run_id == follow
    assert ps.document is not None and ps.document.exists()

    # the link, both ways; position 3 cannot be taken into a second follow-up of the first run
    assert ctl.follow_ups(first) == {3: FollowUp(follow, "finished", "finished", "合格")}
    assert ctl.retests_of(first) == [follow]
    heading = ctl.bench_heading(follow)
    assert heading.retest_of == first and heading.retest_of_record == original.record_no and heading.positions == 1
    with pytest.raises(StationError, match="已在复检"):
        ctl.prepare(ctl.retest_request(first, [3]))
    assert all(not breaks for _, breaks in meter_store.verify_chains().values())


def test_positions_are_parsed_with_ranges_and_refused_in_words() -> None:
    assert parse_positions("3,17") == [3, 17]
    assert parse_positions("20-22，3 3") == [3, 20, 21, 22]
    with pytest.raises(StationError, match="不是数字"):
        parse_positions("3,x")
    with pytest.raises(StationError, match="须指定"):
        parse_positions(" ")


def test_cli_names_both_options_of_a_retest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "c.db"), "demo", "meter", "--positions", "3"]) != 0
    assert "--retest-of RUN 和 --positions" in capsys.readouterr().err


async def test_cli_retests_positions_of_a_run_from_the_station_file(meter_store: Store, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`jianding verify jjg596 --station FILE --retest-of RUN --positions 3` on the same station file
    the first run used: the follow-up is linked and only position 3 is measured."""
    text = example_station_path("meter").read_text(encoding="utf-8")
    text = (text.replace("positions = 24", "positions = 4").replace("port = 15031", "port = 0")
            .replace("speed = 400 ", "speed = 1000"))
    path = tmp_path / "bench4.toml"
    path.write_text(text, encoding="utf-8")
    ctl = Controller(meter_store, tmp_path / "out")
    first = ctl.prepare(RunRequest(station=load_station(path), regulation="jjg596",
                                   sim_overrides={"meter_bench": {"dead": [3]}}))
    summary = await ctl.execute(first, AutoOperator(demo_entries(ctl)))
    assert [p.position for p in summary.positions if p.status == "retest"] == [3]
    code = await asyncio.to_thread(main, ["--db", str(meter_store.path), "verify", "jjg596", "--station", str(path),
                                          "--auto", "--retest-of", first[:8], "--positions", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    (follow,) = [r for r in meter_store.runs() if r.retest_of == first]
    assert [(p.position, p.status, p.conclusion) for p in meter_store.positions(follow.id)] == [(3, "finished", "合格")]
    assert "SIMEM0003" in out and "SIMEM0001" not in out
    assert main(["--db", str(meter_store.path), "runs"]) == 0
    assert f"复检自 (re-test of) {first[:8]}" in capsys.readouterr().out
    assert main(["--db", str(meter_store.path), "show", first]) == 0
    shown = [line for line in capsys.readouterr().out.splitlines() if "SIMEM0003" in line]
    assert len(shown) == 1 and shown[0].endswith(f"→ 复检 (re-tested in) {follow.id[:8]}")


async def test_an_interrupted_follow_up_resumes_keeping_its_readings_and_its_link(meter_store: Store,
                                                                                tmp_path: Path) -> None:
    ctl = Controller(meter_store, tmp_path / "out")
    first = await _first_run(ctl)
    follow = ctl.prepare(ctl.retest_request(first, [3], sim_overrides={"meter_bench": {"dead": []}}))

    def sink(ev: Event) -> None:  # the bench's line drops in the middle of the re-test
        if isinstance(ev, ReadingTaken) and (ev.step_key, ev.key) == ("basic_error_2", "p03:r1") and ctl.sim:
            ctl.sim.cut_bench_line()

    ctl.bus.add_sink(sink)
    paused = await ctl.execute(follow, AutoOperator(demo_entries(ctl)))
    assert paused.status == "paused", paused
    before = [(r.id, r.key, r.value) for r in meter_store.readings(follow)]
    again = Controller(meter_store, tmp_path / "out")  # as after a restart: new twins
    done = await again.execute(follow, AutoOperator(demo_entries(again)))
    assert done.status == "finished", done.message
    assert [(r.id, r.key, r.value) for r in meter_store.readings(follow)][: len(before)] == before
    assert meter_store.get_run(follow).retest_of == first
    assert [(p.position, p.status) for p in done.positions] == [(3, "finished")]
    assert done.positions[0].record is not None and done.positions[0].record.station["retest_of"]


def test_migration_0012_adds_the_link_and_keeps_every_row_verifiable(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from bench.store.models import Run

    store = Store(tmp_path / "m.db")
    inst = store.add_instrument(category="电能表", name="电能表", model="M", serial="S1", manufacturer="X",
                                accuracy_class="2", params={})
    store.create_run(Run(id="r1", regulation="jjg596", edition="2012", verification_type="first",
                         instrument_id=inst.id or 0))
    migrate(store, "0011", down=True)
    assert "retest_of" not in {c["name"] for c in inspect(store.engine).get_columns("run")}
    migrate(store, "head")
    assert store.get_run("r1").retest_of is None
    assert all(not breaks for _, breaks in store.verify_chains().values())
