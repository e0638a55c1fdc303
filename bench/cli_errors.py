"""How a ``jianding`` command ends when something goes wrong: one line a technician can act on
(Chinese first, English after) naming the file, key, device or value, and an exit status — never a
traceback unless ``--debug`` asks for it.

Exit statuses (the CLI's convention): 0 done; 1 an unexpected error (a bug or an unforeseen state:
one line and the hint to run with ``--debug``); 2 an input the command refused (a file, key or
value); 3 a device fault; 130 interrupted (Ctrl-C, 128 + SIGINT); 141 the reader of the output went
away (``jianding … | head``: 128 + SIGPIPE, what a program killed by SIGPIPE reports to the shell,
so ``set -o pipefail`` scripts see the truncation as other tools show it).
"""

from __future__ import annotations

import os
import sys

EXIT_UNEXPECTED = 1
EXIT_REFUSED = 2
EXIT_DEVICE = 3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
DEBUG_HINT = "使用 --debug 查看详情 (run with --debug for details)"


def quiet_broken_pipe() -> int:
    """The reader of stdout went away (``| head``): point stdout at /dev/null so the interpreter's
    last flush cannot fail again, and return :data:`EXIT_BROKEN_PIPE`."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # stdout is not a real file (a capture): nothing to redirect
        return EXIT_BROKEN_PIPE
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def os_error_line(e: OSError) -> str:
    """One line for a file the command could not use: what is wrong and the file's name."""
    what = {FileNotFoundError: "文件不存在 (no such file)", IsADirectoryError: "是目录而非文件 (is a directory, not a file)",
            PermissionError: "无权限读写 (permission denied)", NotADirectoryError: "路径中有文件而非目录 (not a directory)"}
    label = next((text for kind, text in what.items() if isinstance(e, kind)), f"无法读写 ({e.strerror or e})")
    return f"错误 (error): {label}: {e.filename}" if e.filename else f"错误 (error): {label}"


def unexpected_line(e: BaseException) -> str:
    """One line for an error no command foresaw: its kind and message, and the ``--debug`` hint."""
    text = " ".join(str(e).split())
    return f"错误 (error): {type(e).__name__}{': ' + text if text else ''} — {DEBUG_HINT}"
