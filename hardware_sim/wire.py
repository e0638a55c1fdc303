"""What every serial/Modbus twin shares: the line faults it injects on demand and the way its
console entry point runs (``python -m hardware_sim <twin> …``)."""

from __future__ import annotations

import asyncio
import sys
from argparse import Namespace
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class WireFaults:
    """Line faults a twin injects on demand; change the fields at any time while it serves.

    ``silent``: answer nothing and apply no write (device unplugged / hung).
    ``garbage_replies``: corrupt the next k replies (bad CRC, broken frame).
    ``latency_s``: delay every reply by this long (slow gateway, overloaded device).
    """

    silent: bool = False
    garbage_replies: int = 0
    latency_s: float = 0.0

    def take_garbage(self) -> bool:
        """Consume one pending garbage reply; True if this reply must be corrupted."""
        if self.garbage_replies > 0:
            self.garbage_replies -= 1
            return True
        return False


def run_twin_main(
    name: str,
    argv: Sequence[str] | None,
    parse_args: Callable[[list[str]], Namespace],
    run: Callable[[Namespace], Coroutine[Any, Any, None]],
    errors: tuple[type[BaseException], ...] = (OSError,),
) -> int:
    """Run one twin until Ctrl-C/SIGTERM, accepting argv with or without a leading ``name``;
    a start-up error (port taken, bad device path, bad option value) is one line on stderr, exit 1."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] == name:
        args_in = args_in[1:]
    args = parse_args(args_in)
    try:
        asyncio.run(run(args))
    except KeyboardInterrupt:
        pass
    except errors as exc:
        print(f"{name} twin: {exc}", file=sys.stderr)
        return 1
    return 0
