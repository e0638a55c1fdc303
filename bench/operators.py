"""Operators for the headless workstation: the console (a technician typing answers) and the
automatic operator the demo and scripted runs use (answers given up front, shown on screen)."""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO

from procedures.engine import OperatorPrompt
from procedures.engine.entry import pretty_unit

Answer = str | Callable[[], str] | Callable[[OperatorPrompt], str]


def answer_from(entries: Mapping[str, Answer], prompt: OperatorPrompt) -> str:
    """The answer of the table ``entries`` for ``prompt``: the entry whose key starts the prompt's
    text (or is its step key) — a string, or a function of nothing or of the prompt."""
    for key, value in entries.items():
        if prompt.text.startswith(key) or key == prompt.step_key:
            if not callable(value):
                return value
            if inspect.signature(value).parameters:
                return value(prompt)  # type: ignore[call-arg]
            return value()  # type: ignore[call-arg]
    raise KeyError(f"no automatic answer for prompt {prompt.text!r}")


class AutoOperator:
    """Answers every prompt from a table: checklist points all confirmed unless listed in
    ``refuse``; entries from ``entries`` by prompt text prefix (or step key), a string or a
    function returning one (e.g. reading a simulated post's display) — a function taking one
    argument is given the prompt (e.g. to follow its instruction). The answers travel
    on the bus as ``OperatorAnswered`` events like any operator's, so the display shows them."""

    def __init__(self, entries: Mapping[str, Answer], refuse: tuple[str, ...] = (),
                 choices: Mapping[str, str] | None = None) -> None:
        self.entries = dict(entries)
        self.refuse = refuse
        self.choices = dict(choices or {})

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        """Confirm each point unless refused."""
        return {p: not any(r in p for r in self.refuse) for p in prompt.items}

    async def entry(self, prompt: OperatorPrompt) -> str:
        """The configured answer whose key starts the prompt text; a reading tied to an instant of
        the time standard (``mark_time``) is given once that instant has come, as a technician
        watching the standard would."""
        if prompt.mark_time is not None:
            wait = (prompt.mark_time - datetime.now(UTC)).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait + 0.05)
        return answer_from(self.entries, prompt)

    async def choice(self, prompt: OperatorPrompt) -> str:
        """The option configured for a prompt text prefix in ``choices`` (an option's leading
        words suffice), else the first option (a test condition not met: measure again)."""
        for key, want in self.choices.items():
            if prompt.text.startswith(key) or key == prompt.step_key:
                return next(o for o in prompt.items if o.startswith(want))
        return prompt.items[0]


class ConsoleOperator:
    """Asks on the terminal (input() runs in a worker thread so the event loop keeps serving I/O)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    async def _ask(self, text: str) -> str:
        print(text, end="", file=self.out, flush=True)
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            raise EOFError("standard input closed")
        return line.strip()

    async def checklist(self, prompt: OperatorPrompt) -> dict[str, bool]:
        """One y/n per point (Enter = yes)."""
        print(f"  {prompt.text} — 请逐项确认 (confirm each point, Enter = 是/yes, n = 否/no)", file=self.out)
        out: dict[str, bool] = {}
        for p in prompt.items:
            ans = (await self._ask(f"    {p} [Y/n] ")).lower()
            out[p] = ans in ("", "y", "yes", "是", "1")
        return out

    async def choice(self, prompt: OperatorPrompt) -> str:
        """One of the numbered options (asked again until a number is given)."""
        print(f"  {prompt.text}", file=self.out)
        for i, option in enumerate(prompt.items, 1):
            print(f"    {i}. {option}", file=self.out)
        while True:
            ans = await self._ask(f"  请选择 (choose) 1…{len(prompt.items)}: ")
            if ans.isdigit() and 1 <= int(ans) <= len(prompt.items):
                return prompt.items[int(ans) - 1]

    async def entry(self, prompt: OperatorPrompt) -> str:
        """A value with optional unit; a protocol value offered for confirmation (Enter accepts it);
        a countdown to the standard's instant when the reading is tied to one."""
        if prompt.error:
            print(f"    ✗ {prompt.error}", file=self.out)
        if prompt.mark_time is not None:
            await self._countdown(prompt.mark_time)
        rng = ""
        if prompt.low is not None and prompt.high is not None:
            rng = f" [{prompt.low:g} … {prompt.high:g} {pretty_unit(prompt.unit)}]"
        if prompt.suggested:
            rng += (f" (协议读数 protocol value {prompt.suggested} {pretty_unit(prompt.unit)}：与显示一致按回车确认，"
                    "否则输入显示值 — Enter if the display shows the same, else type what it shows)")
        return await self._ask(f"  {prompt.text}{rng}: ")

    async def _countdown(self, mark: datetime) -> None:
        """Show the time standard counting to ``mark`` (local time), then say "now"."""
        while (left := (mark - datetime.now(UTC)).total_seconds()) > 0:
            now = datetime.now(UTC).astimezone(mark.tzinfo)
            print(f"\r    标准时间 (standard time) {now:%H:%M:%S} — 读数时刻 (read at) {mark:%H:%M:%S}，"
                  f"还有 {left:4.0f} s", end="", file=self.out, flush=True)
            await asyncio.sleep(min(left, 0.25))
        print(f"\r    标准时间 {mark:%H:%M:%S}: 现在读取显示 (read the display now)" + " " * 20, file=self.out)
