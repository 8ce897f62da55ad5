"""A throwaway PostgreSQL cluster on loopback for the benchmarks and the load test (removed
afterwards). Shared by bench/run.py and load/run.py."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PORT = int(os.environ.get("BENCH_PG_PORT", "55433"))
USER = "shequbench"


def available() -> bool:
    return (PG_BIN / "initdb").exists()


def ensure_installed() -> bool:
    """Install Debian's PostgreSQL 15 when it is missing and we may (root), as .ci/run does."""
    if available() or os.geteuid() != 0 or not shutil.which("apt-get"):
        return available()
    quiet = {"stdout": subprocess.DEVNULL, "check": False}
    subprocess.run(["apt-get", "update", "-qq"], **quiet)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql-15"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        **quiet,
    )
    return available()


def fresh_database(url: str, name: str) -> str:
    """(Re)create database `name` on the server of `url`; its URL."""
    import psycopg

    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def _as_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", USER, "--", *command]


def _ensure_user() -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            check=True,
        )


@contextlib.contextmanager
def throwaway_cluster(*, port: int = PORT, durable: bool = False, settings: str = ""):
    """Yield a DATABASE_URL of a fresh cluster; stop and delete it on exit.

    The benchmarks run with fsync off (only the work measured matters there); `durable`
    keeps fsync on, so that commits cost what they cost on a real server. `settings` adds
    server options (`-c name=value ...`)."""
    _ensure_user()
    directory = Path(tempfile.mkdtemp(prefix="shequ-pg."))
    if os.geteuid() == 0:
        shutil.chown(directory, USER)
    data = directory / "data"
    subprocess.run(
        _as_user(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} {settings}"
    if not durable:
        options += " -c fsync=off"
    subprocess.run(
        _as_user(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(directory / "log"),
                "-w",
                "-o",
                options,
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "shequ",
            ],
            check=True,
        )
        yield f"postgres://postgres@127.0.0.1:{port}/shequ"
    finally:
        subprocess.run(
            _as_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(directory, ignore_errors=True)
