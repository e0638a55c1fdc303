"""Terminal display of a run: steps, progress, readings and results as they happen, and the final
results table. Reads events from a bus queue on its own thread, so printing never slows a gate."""

from __future__ import annotations

import sys
import threading
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from procedures.engine import (
    Event,
    EventBus,
    MeasurementRecorded,
    OperatorAnswered,
    OperatorPrompt,
    Progress,
    RunFinished,
    RunPaused,
    RunStarted,
    RunWarning,
    StepFinished,
    StepStarted,
)
from procedures.engine.remaining import Remaining, mmss
from procedures.records import VerificationRecord
from reports.result_text import ANNEX, annex_lines, result_line, result_rows, worst_point_text

if TYPE_CHECKING:
    from bench.controller import PositionSummary

VERDICT_MARK = {"pass": "合格 ✓", "fail": "不合格 ✗", "undetermined": "待定 ?", "n/a": "—"}
VERDICT_SIGN = {"pass": "✓", "fail": "✗", "undetermined": "?"}


class ConsoleDisplay:
    """Prints a run's events; ``close()`` flushes what is left."""

    def __init__(self, bus: EventBus, out: TextIO | None = None, echo_answers: bool = True) -> None:
        self.out = out or sys.stdout
        self.echo_answers = echo_answers
        self._prompts: dict[str, OperatorPrompt] = {}
        self.sub = bus.subscribe()
        self._stop = threading.Event()
        self._last_bucket: tuple[str, int] = ("", -1)
        self.remaining = Remaining()
        self._thread = threading.Thread(target=self._loop, name="jianding-display", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            ev = self.sub.get(timeout=0.1)
            if ev is not None:
                self.show(ev)

    def close(self) -> None:
        """Stop the thread and print everything still queued."""
        self._stop.set()
        self._thread.join(timeout=2)
        for ev in self.sub.drain():
            self.show(ev)
        self.sub.close()

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, ev: Event) -> None:
        """One event as a line (progress lines are throttled to changes of the message)."""
        self.remaining.see(ev)
        left = self.remaining.seconds
        if isinstance(ev, RunStarted):
            kept = f"，沿用已完成 {len(ev.completed_steps)} 步 (resuming)" if ev.resumed else ""
            plan = f"，计划用时约 {mmss(left)} (planned, real hardware)" if left else ""
            self._print(f"▶ {ev.procedure}: {ev.total_steps} 步{kept}{plan}  run {ev.run_id[:8]}")
        elif isinstance(ev, RunWarning):
            self._print(f"⚠ {ev.source} {ev.message}".replace("  ", " "))
        elif isinstance(ev, StepStarted):
            rest = f"  — 剩余约 {mmss(left)} (time left)" if left is not None else ""
            self._print(f"[{ev.index + 1}/{ev.total}] {ev.title}{rest}")
        elif isinstance(ev, Progress):
            bucket = (ev.step_key, int(ev.fraction * 10))  # one line per 10 % of a step
            if bucket != self._last_bucket:
                self._last_bucket = bucket
                bar = "█" * int(ev.fraction * 20)
                self._print(f"    {bar:<20} {ev.fraction * 100:5.1f} %  {ev.message}")
        elif isinstance(ev, OperatorPrompt):
            self._prompts[ev.prompt_id] = ev
            if ev.kind == "entry" and ev.error:
                self._print(f"    ✗ 输入被拒绝 (entry refused): {ev.error}")
        elif isinstance(ev, OperatorAnswered) and self.echo_answers:
            prompt = self._prompts.get(ev.prompt_id)
            if isinstance(ev.answer, dict):
                for point, ok in ev.answer.items():
                    self._print(f"    [{'✓' if ok else '✗'}] {point}")
            else:
                self._print(f"    {prompt.text if prompt else '输入'}: {ev.answer}")
        elif isinstance(ev, MeasurementRecorded):
            r = ev.result  # worded as the certificate prints it (reports/result_text.py)
            mark = "" if r.layout == ANNEX else f"  {VERDICT_SIGN.get(r.verdict.value, '')}"
            where = f"表位 {r.position}: " if r.position is not None else ""
            self._print(f"    {where}{result_line(r, ev.item)}{mark}".rstrip())
        elif isinstance(ev, StepFinished) and ev.outcome.get("note"):
            self._print(f"    注 (note): {ev.outcome['note']}")
        elif isinstance(ev, RunPaused):
            self._print(f"⏸ 检定暂停 (run paused): {ev.message}")
        elif isinstance(ev, RunFinished) and ev.status == "aborted":
            self._print("■ 检定已中止 (run aborted)")
        elif isinstance(ev, RunFinished) and ev.status == "void":
            self._print(f"✗ 本次检定无效，不出具证书或通知书 (run void, no certificate or notice): {ev.message}")


def width(text: str) -> int:
    """Display width in a terminal (CJK characters take two columns)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, cols: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``cols`` display columns."""
    fill = " " * max(0, cols - width(text))
    return fill + text if right else text + fill


def results_table(record: VerificationRecord) -> str:
    """The results as a plain-text table (Chinese first), worded as the certificate prints them
    (reports/result_text.py: the recorded 修约, the MPE or limit, 符合/不适用 where the document says
    so); the annex's rows (电能读数核对) follow under 附页 without a verdict, then the 附页's
    signed meter values, flags and notes."""
    lines = [
        f"{record.regulation_code} {record.regulation_title} — {record.verification_type}",
        f"器具 (instrument): {record.instrument.name} {record.instrument.model} 出厂编号 {record.instrument.serial}"
        f"  准确度等级 {record.instrument.accuracy_class}",
        "",
        pad("检定项目 (item)", 22) + pad("检定点 (point)", 30) + pad("结果", 12, True) + pad("要求", 14, True) + "  结论",
        "-" * 90,
    ]
    annex = False
    for row in result_rows(record):
        if row.verdict_key == ANNEX and not annex:
            annex = True
            lines += ["-" * 90, "附页 (annex: not part of the results, no verdict)"]
        mark = "" if row.verdict_key == ANNEX else f"{row.verdict} {VERDICT_SIGN.get(row.verdict_key, '')}".strip()
        lines.append(pad(row.item, 22) + pad(row.point, 30) + pad(row.result, 12, True) + pad(row.requirement, 14, True)
                     + "  " + mark)
        if row.note:
            lines.append(" " * 22 + f"注 (note): {row.note}")
    lines.append("-" * 90)
    lines.extend(f"⚠ {line}" if flag else f"注 (note): {line}" for line, flag in annex_lines(record))
    failing = "、".join(i.name for i in record.failing_items)
    lines.append(f"检定结论 (conclusion): {record.conclusion}" + (f"  不合格项目: {failing}" if failing else ""))
    return "\n".join(lines)


def bench_table(positions: Sequence[PositionSummary]) -> str:
    """A bench run's positions as a plain-text table: each instrument's conclusion, its largest
    error relative to its limit, and its document — or why it must be re-tested."""
    lines = [pad("表位", 6) + pad("出厂编号 (serial)", 20) + pad("结论", 12) + pad("最大误差点 (worst point)", 50)
             + "证书/通知书 (document)", "-" * 110]
    for p in positions:
        if p.status != "finished" or p.record is None:
            lines.append(pad(f"{p.position}", 6) + pad(p.serial, 20) + pad("需复检 ⚠", 12) + p.message)
            continue
        point = worst_point_text(p.record)
        mark = VERDICT_MARK["pass" if p.record.passed else "fail"]
        lines.append(pad(f"{p.position}", 6) + pad(p.serial, 20) + pad(mark, 12)
                     + pad(point, 50) + " " + p.certificate_no)
    lines.append("-" * 110)
    done = [p for p in positions if p.status == "finished"]
    passed = sum(1 for p in done if p.record is not None and p.record.passed)
    lines.append(f"合格 (pass) {passed}  不合格 (fail) {len(done) - passed}  需复检 (re-test) {len(positions) - len(done)}"
                 f"  共 (total) {len(positions)}")
    return "\n".join(lines)
