"""A private PostgreSQL server for fault tests: its own data directory and port, so a test can
stop, restart or kill it without touching the shared server others use.

Debian's server binaries (``/usr/lib/postgresql/<version>/bin``); as root they run as the
``postgres`` user (PostgreSQL refuses to run as root), in a temporary directory it owns.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def find_bin() -> Path | None:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable_reason() -> str | None:
    if find_bin() is None:
        return "PostgreSQL's initdb is not installed (Debian: postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as the postgres user"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run PostgreSQL as"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self):
        self.bin = find_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="balai-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_postgres = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_postgres = ["runuser", "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        # Output to a file, not a pipe: the server pg_ctl starts would hold a pipe open.
        out = self.dir / "commands.log"
        with out.open("a") as log:
            result = subprocess.run(
                [*self.as_postgres, str(self.bin / args[0]), *args[1:]],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                cwd=self.dir,
            )
        if result.returncode:
            raise RuntimeError(f"{args[0]} failed: {out.read_text()[-2000:]}")

    def init(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        self.start()

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} "
            "-c fsync=off -c max_connections=60 -c shared_buffers=32MB"
        )
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-o",
                 options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-m", "fast",
                 "-w", "-t", "60", "restart")  # fmt: skip

    def postmaster_pid(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        return None

    def kill9(self) -> int:
        """SIGKILL the postmaster and every process it started, at once (a crash); the number
        of processes killed."""
        pid = self.postmaster_pid()
        if pid is None:
            return 0
        victims = [pid]
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = Path(f"/proc/{entry.name}/stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                        victims.append(int(entry.name))
        for victim in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{v}").exists() for v in victims) and time.monotonic() < deadline:
            time.sleep(0.05)
        return len(victims)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def createdb(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    def destroy(self) -> None:
        if self.postmaster_pid() is not None:
            with contextlib.suppress(Exception):
                self.stop("immediate")
        if (self.data / "postmaster.pid").exists():
            self.kill9()
        shutil.rmtree(self.dir, ignore_errors=True)
