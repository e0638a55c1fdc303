"""Suite-wide fixtures: a throwaway PostgreSQL cluster for the platform server and the workstations
that upload to it at the same time.

``postgres_cluster`` (session): ``initdb`` + ``pg_ctl start`` in a temporary directory on a free
loopback port, trust authentication, no Unix socket, fsync off — a few seconds once per session,
stopped and deleted at the end. Running as root (CI containers), initdb refuses to run, so the
cluster is made and run as the ``postgres`` user (the Debian package creates it) or else ``nobody``
through ``runuser``. Skips with the reason when no PostgreSQL binaries are found (looked up in
``$JIANDING_PG_BIN``, ``/usr/lib/postgresql/<ver>/bin``, then ``PATH``).

``postgres_url`` (function): a fresh empty database in that cluster, as a SQLAlchemy URL
``postgresql+psycopg://postgres@127.0.0.1:<port>/<db>``.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _pg_bindir() -> Path | None:
    """Directory holding initdb/pg_ctl/postgres, or None."""
    candidates = [os.environ.get("JIANDING_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name)
                         if Path(p).parent.name.isdigit() else 0, reverse=True)
    which = shutil.which("initdb")
    candidates.append(str(Path(which).parent) if which else "")
    for c in candidates:
        if c and all((Path(c) / b).exists() for b in ("initdb", "pg_ctl", "postgres")):
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresCluster:
    """A running throwaway cluster: its port and a way to make fresh databases."""

    port: int
    superuser: str = "postgres"
    _counter: itertools.count = itertools.count(1)  # type: ignore[type-arg]  # noqa: RUF009

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of one database in the cluster."""
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """CREATE DATABASE with a new name; return its SQLAlchemy URL."""
        import psycopg

        name = f"{prefix}{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.superuser} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a throwaway PostgreSQL cluster for the session (see the module docstring)."""
    bindir = _pg_bindir()
    if bindir is None:
        pytest.skip("未找到 PostgreSQL (no PostgreSQL binaries: install the postgresql package or set JIANDING_PG_BIN)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed")
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        for name in ("postgres", "nobody"):
            try:
                owner = pwd.getpwnam(name)
                break
            except KeyError:
                continue
        if owner is None or shutil.which("runuser") is None:
            pytest.skip("running as root without a 'postgres'/'nobody' user and runuser: initdb refuses root")
        prefix = ["runuser", "-u", owner.pw_name, "--"]
    root = Path(tempfile.mkdtemp(prefix="jianding-pg-"))
    data, log = root / "data", root / "server.log"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    port = _free_port()

    def run(*cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, *cmd], capture_output=True, text=True, cwd=root, timeout=120)

    done = run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
               "--locale=C", "--no-sync")
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed: {done.stderr.strip()[-500:]}")
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                   "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n")
    started = run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start")
    if started.returncode != 0:
        text = log.read_text(encoding="utf-8", errors="replace")[-1000:] if log.exists() else started.stderr
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed: {started.stderr.strip()} {text}")
    try:
        yield PostgresCluster(port=port)
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A fresh empty database in the session's cluster (SQLAlchemy URL)."""
    return postgres_cluster.create_database()
