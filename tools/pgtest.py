#!/usr/bin/env python3
"""Run a command against a throwaway PostgreSQL cluster: `python tools/pgtest.py -- CMD ...`.

Creates a cluster in a temporary directory (as the `postgres` user when run as root, since
PostgreSQL refuses to run as root), starts it on a free loopback port with trust auth, runs
CMD with DATABASE_URL pointing at it, then stops and removes it, exiting with CMD's code.

Without pg_ctl/initdb it prints "SKIPPED: PostgreSQL leg (pg_ctl not found)" and exits 0,
unless CAIRN_REQUIRE_POSTGRES=1, when it fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def find_bindir() -> Path | None:
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if (Path(candidate) / "pg_ctl").exists() and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def as_owner(cmd: list[str], user: str | None) -> list[str]:
    if user is None:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user, "--", *cmd]
    return ["su", user, "-s", "/bin/sh", "-c", " ".join(cmd)]


def main(argv: list[str]) -> int:
    if argv and argv[0] == "--":
        argv = argv[1:]
    if not argv:
        print("usage: pgtest.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    required = os.environ.get("CAIRN_REQUIRE_POSTGRES", "").lower() in {"1", "true", "yes"}
    bindir = find_bindir()
    if bindir is None:
        if required:
            print(
                "FAILED: PostgreSQL leg: pg_ctl/initdb not found, and CAIRN_REQUIRE_POSTGRES=1. "
                "Install PostgreSQL (e.g. apt-get install postgresql).",
                file=sys.stderr,
            )
            return 1
        print("SKIPPED: PostgreSQL leg (pg_ctl not found)")
        return 0

    user = "postgres" if os.geteuid() == 0 else None
    workdir = Path(tempfile.mkdtemp(prefix="cairn-pg-"))
    datadir = workdir / "data"
    logfile = workdir / "server.log"
    if user is not None:
        shutil.chown(workdir, user=user, group=None)
        # Keep the temp dir reachable for the postgres user.
        workdir.chmod(0o700)
    port = free_port()
    started = False
    try:
        subprocess.run(
            as_owner(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(datadir),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                    "--locale=C",
                ],
                user,
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {workdir} -c max_connections=50"
        if os.environ.get("CAIRN_PG_DURABLE", "") != "1":
            # Tests need no durability; the benchmark (CAIRN_PG_DURABLE=1) measures with it.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(
            as_owner(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(datadir),
                    "-l",
                    str(logfile),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                user,
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        print(f"PostgreSQL leg: throwaway server {bindir.parent.name} on 127.0.0.1:{port}")
        env = dict(os.environ, DATABASE_URL=f"postgres://postgres@127.0.0.1:{port}/postgres")
        started_at = time.monotonic()
        code = subprocess.call(argv, env=env)
        print(f"PostgreSQL leg finished in {time.monotonic() - started_at:.0f}s (exit {code})")
        return code
    except subprocess.CalledProcessError as exc:
        print(f"FAILED: could not start the throwaway PostgreSQL server: {exc}", file=sys.stderr)
        if logfile.exists():
            print(logfile.read_text()[-3000:], file=sys.stderr)
        return 1
    finally:
        if started:
            subprocess.run(
                as_owner(
                    [str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast", "-w", "stop"], user
                ),
                stdout=subprocess.DEVNULL,
                check=False,
            )
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
