"""``jianding can decode FILE``: print a recorded GB/T 27930 CAN session as JSON lines.

Reads any trace python-can knows (candump ``.log``, ``.asc``, ``.blf``, ``.csv`` …), reassembles the
multi-packet messages and writes one JSON object per GB/T 27930-2015 message to ``out``::

    {"time": 1703560127.487397, "name": "CHM", "direction": "charger→BMS", "pgn": 9728,
     "fields": {"version": "1.1"}, "raw": "010100"}

Fields are in the standard's units and sign convention (charging current negative, see
:mod:`drivers.gbt27930.messages`). A summary — messages per name, frames of other nodes skipped,
transport failures, undecodable payloads, refused charger messages — goes to stderr as one final JSON
line (after one line per charger message refused for an impossible value, naming the file, the frame
number and the message: drivers.gbt27930.messages.impossible), so
``jianding can decode s.log > s.jsonl`` keeps the data clean. Exit status: 0 decoded, 2 the file
or the ``only`` filter could not be used, or the file is damaged or truncated (one line naming the
file and the frame; the messages before it were printed), 141 the reader went away (``| head``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any, TextIO

from bench.cli_errors import EXIT_BROKEN_PIPE, quiet_broken_pipe
from drivers.gbt27930.messages import SPECS
from drivers.gbt27930.trace import TraceError, decode_trace


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex().upper()
    raise TypeError(f"not JSON serialisable: {value!r}")


def main(path: str, out: TextIO | None = None, *, only: set[str] | None = None) -> int:
    """Decode the trace at ``path`` and print one JSON line per message to ``out``.

    ``out`` defaults to the current ``sys.stdout`` (looked up at call time, so redirection and
    test capture work). ``only`` restricts the output to these message names (e.g.
    ``{"BCL", "CCS", "CSD"}``); the summary on stderr still counts every message. Returns the
    process exit status.
    """
    if out is None:
        out = sys.stdout
    if only is not None:
        unknown = sorted(set(only) - set(SPECS))
        if unknown:
            print(f"can decode: unknown message name(s) {', '.join(unknown)}; known: {', '.join(SPECS)}",
                  file=sys.stderr)
            return 2
    try:
        decoder = decode_trace(path)
        for msg in decoder:
            if only is not None and msg.name not in only:
                continue
            record = {"time": msg.time, "name": msg.name, "direction": msg.direction, "pgn": msg.pgn,
                      "fields": msg.fields, "raw": msg.raw}
            out.write(json.dumps(record, ensure_ascii=False, default=_json_default) + "\n")
    except BrokenPipeError:
        # the reader went away (``| head``): stop quietly, and keep Python's exit flush from failing
        return quiet_broken_pipe() if out is sys.stdout else EXIT_BROKEN_PIPE
    except TraceError as exc:
        print(f"错误 (error): CAN 记录损坏 (damaged trace): {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"错误 (error): 无法读取 CAN 记录 {path} (cannot read the trace): {exc}", file=sys.stderr)
        return 2
    for line in decoder.stats.refused:  # a charger message with an impossible value: one line each
        print(f"{path}: {line}", file=sys.stderr)
    summary = decoder.stats.as_dict()
    print(json.dumps({"summary": summary}, ensure_ascii=False), file=sys.stderr)
    return 0


def _cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="can_decode", description=__doc__.split("\n", 1)[0])
    parser.add_argument("file", help="recorded CAN trace (.log candump, .asc, .blf, .csv …)")
    parser.add_argument("--only", default=None, help="comma-separated message names, e.g. BCL,CCS,CSD")
    args = parser.parse_args(argv)
    only = {n.strip().upper() for n in args.only.split(",") if n.strip()} if args.only else None
    return main(args.file, only=only)


if __name__ == "__main__":
    raise SystemExit(_cli())
