"""``PlatformServer``: the reference platform on a real socket, uvicorn in a background thread (tests,
demos), and the console entry ``python -m hardware_sim platform``."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn

from hardware_sim.platform.app import Platform, create_app

DEFAULT_DB = "sqlite:///platform.db"


class PlatformServer:
    """The reference platform served by uvicorn on ``host:port`` (0 = a free port, read back in
    ``.port`` after :meth:`start`). ``database_url`` is a SQLAlchemy URL: ``sqlite:///file.db`` or
    ``postgresql+psycopg://user@host:port/db``. ``admin_token`` guards ``/admin`` (random if None)."""

    def __init__(self, database_url: str, host: str = "127.0.0.1", port: int = 0,
                 admin_token: str | None = None) -> None:
        self.database_url = database_url
        self.host = host
        self.requested_port = port
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None
        self.app: Any = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:41234`` (no trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def platform(self) -> Platform:
        """The app's state (engine, faults) — for in-process tests that want to look inside."""
        return self.app.state.platform

    def start(self, timeout_s: float = 15.0) -> PlatformServer:
        """Bind the socket, start uvicorn in a daemon thread, and return once it accepts requests;
        raise the start-up error (bad database URL, port taken) otherwise."""
        self.app = create_app(self.database_url, self.admin_token)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.requested_port))
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app.state.asgi, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)

        def run() -> None:
            try:
                asyncio.run(self._server.serve(sockets=[sock]))  # type: ignore[union-attr]
            except BaseException as exc:  # reported by start()
                self._error = exc

        self._thread = threading.Thread(target=run, name=f"platform:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"平台服务器启动失败 (platform server failed to start): {self._error}")
            if time.monotonic() > deadline:
                raise RuntimeError("平台服务器启动超时 (platform server did not start in time)")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit, wait for the thread, release the socket and the database."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        if self.app is not None:
            self.platform.engine.dispose()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> PlatformServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options of ``python -m hardware_sim platform``."""
    p = argparse.ArgumentParser(prog="python -m hardware_sim platform",
                                description="参考管理平台服务器 (reference management-platform server, API v1)")
    p.add_argument("--db", default=DEFAULT_DB, help=f"SQLAlchemy URL (default {DEFAULT_DB}; "
                                                    "PostgreSQL: postgresql+psycopg://user@host:port/db)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8780)
    p.add_argument("--admin-token", default=None, help="token for /admin (random and printed if omitted)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C; print the URL and admin token first."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in and args_in[0] == "platform":
        args_in = args_in[1:]
    args = parse_args(args_in)
    server = PlatformServer(args.db, host=args.host, port=args.port, admin_token=args.admin_token)
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        print(f"platform: {exc}", file=sys.stderr)
        return 1
    if args.db == DEFAULT_DB:
        print(f"数据库 (database): {Path('platform.db').resolve()}")
    print(f"参考平台已启动 (reference platform listening): {server.url}  API: {server.url}/api/v1  "
          f"admin token: {server.admin_token}", flush=True)
    def _terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)  # stop cleanly (WAL checkpoint, socket closed) on kill
    try:
        while server._thread is not None and server._thread.is_alive():
            server._thread.join(timeout=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0
