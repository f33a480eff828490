"""`cairn bench generate | run | leg`: the benchmark's command line.

`run` is what `make bench` calls: for each database it starts one `leg` process (SQLite in
its own data directory, PostgreSQL on a throwaway server from tools/pgtest.py), each leg
generates the organization when it is missing, measures it in process and under HTTP load,
and writes its JSON; `run` then prints the table and writes benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.sizes import FACTORS

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "var" / "bench"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")
    import django

    django.setup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cairn bench", description="Cairn's scale benchmark.")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="build the synthetic organization bench-<size>")
    gen.add_argument("--size", choices=sorted(FACTORS), default="S")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--json", type=Path, help="write the generation's timing to this file")

    run = sub.add_parser("run", help="generate where missing, measure, print and record")
    run.add_argument("--size", choices=sorted(FACTORS), default="L")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument(
        "--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    run.add_argument("--iterations", type=int, default=30, help="timed requests per scenario")
    run.add_argument("--load-seconds", type=int, default=30, help="length of the HTTP load")
    run.add_argument("--load-users", type=int, default=16, help="concurrent load users")
    run.add_argument("--no-load", action="store_true", help="skip the HTTP load")
    run.add_argument(
        "--results", type=Path, default=ROOT / "benchmarks" / "RESULTS.md", help="markdown file"
    )

    leg = sub.add_parser("leg", help="(internal) one database's run, in its own process")
    leg.add_argument("--label", required=True)
    leg.add_argument("--size", choices=sorted(FACTORS), required=True)
    leg.add_argument("--seed", type=int, default=1)
    leg.add_argument("--iterations", type=int, default=30)
    leg.add_argument("--load-seconds", type=int, default=30)
    leg.add_argument("--load-users", type=int, default=16)
    leg.add_argument("--no-load", action="store_true")
    leg.add_argument("--json", type=Path, required=True)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "generate":
        return _generate(args)
    if args.command == "leg":
        return _leg(args)
    return _run(args)


def _generate(args: argparse.Namespace) -> int:
    _setup_django()
    from django.core.management import call_command

    from benchmarks.generate import GenerateError, generate

    call_command("migrate", interactive=False, verbosity=0)
    try:
        report = generate(size=args.size, seed=args.seed, out=print)
    except GenerateError as exc:
        print(f"cairn bench: {exc}", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def _leg(args: argparse.Namespace) -> int:
    """Runs with the database chosen by the environment (CAIRN_DATA_DIR / DATABASE_URL)."""
    result: dict[str, Any] = {"label": args.label, "size": args.size, "seed": args.seed}
    gen_json = args.json.with_suffix(".generate.json")
    _setup_django()
    from django.core.management import call_command

    from benchmarks.generate import INCOMPLETE
    from benchmarks.sizes import slug_for
    from cairn.orgs.models import Organization

    call_command("migrate", interactive=False, verbosity=0)
    result["database"] = _database_version()
    slug = slug_for(args.size)
    complete = Organization.objects.filter(slug=slug).exclude(name__endswith=INCOMPLETE)
    if Organization.objects.filter(slug=slug, name__endswith=INCOMPLETE).exists():
        print(
            f"cairn bench: {slug} was left incomplete by an interrupted run; remove "
            f"{os.environ.get('CAIRN_DATA_DIR', 'the data directory')} and run again",
            file=sys.stderr,
        )
        return 1
    if not complete.exists():
        # Its own process, so that its time and peak memory are its own.
        cmd = [sys.executable, "-m", "benchmarks", "generate", "--size", args.size]
        cmd += ["--seed", str(args.seed), "--json", str(gen_json)]
        code = subprocess.call(cmd, cwd=ROOT)
        if code:
            return code
        result["generate"] = json.loads(gen_json.read_text())
    elif gen_json.exists():
        result["generate"] = json.loads(gen_json.read_text()) | {"reused": True}

    from benchmarks.measure import measure

    result["pages"] = measure(slug, iterations=args.iterations)
    if not args.no_load:
        from django.db import connections

        from benchmarks.load import run_load

        connections.close_all()
        result["load"] = run_load(slug, seconds=args.load_seconds, users=args.load_users)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


def _database_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def _run(args: argparse.Namespace) -> int:
    from benchmarks import report

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    legs: list[dict[str, Any]] = []
    started = time.monotonic()
    for label in [d.strip() for d in args.databases.split(",") if d.strip()]:
        if label not in ("sqlite", "postgres"):
            print(f"cairn bench: unknown database {label!r} (sqlite, postgres)", file=sys.stderr)
            return 2
        out = RESULTS_DIR / f"{label}-{args.size}-{args.seed}.json"
        out.unlink(missing_ok=True)
        leg = [sys.executable, "-m", "benchmarks", "leg", "--label", label]
        leg += ["--size", args.size, "--seed", str(args.seed), "--json", str(out)]
        leg += ["--iterations", str(args.iterations), "--load-seconds", str(args.load_seconds)]
        leg += ["--load-users", str(args.load_users)] + (["--no-load"] if args.no_load else [])
        env = dict(os.environ)
        if label == "sqlite":
            # Each size and seed keeps its own database: generated once, measured many times.
            data_dir = RESULTS_DIR / f"sqlite-{args.size}-{args.seed}"
            (data_dir / "static").mkdir(parents=True, exist_ok=True)
            env["CAIRN_DATA_DIR"] = str(data_dir)
            env.pop("DATABASE_URL", None)
            cmd = leg
        else:
            data_dir = RESULTS_DIR / f"postgres-{args.size}-{args.seed}"
            (data_dir / "static").mkdir(parents=True, exist_ok=True)
            env["CAIRN_DATA_DIR"] = str(data_dir)
            # A durable server (fsync on), as in production; generated afresh every run.
            env["CAIRN_PG_DURABLE"] = "1"
            cmd = [sys.executable, str(ROOT / "tools" / "pgtest.py"), "--", *leg]
        print(f"== {label}, size {args.size}, seed {args.seed} ==", flush=True)
        code = subprocess.call(cmd, cwd=ROOT, env=env)
        if code:
            print(f"cairn bench: the {label} leg failed (exit {code})", file=sys.stderr)
            return code
        if out.exists():
            legs.append(json.loads(out.read_text()))
        else:
            print(f"cairn bench: the {label} leg was skipped")
    if not legs:
        return 1
    print(report.table(legs))
    combined = RESULTS_DIR / f"results-{args.size}-{args.seed}.json"
    combined.write_text(json.dumps(legs, indent=2, default=str))
    markdown = report.markdown(legs, elapsed=time.monotonic() - started, results_dir=RESULTS_DIR)
    args.results.write_text(markdown)
    print(f"\nJSON: {combined}\nMarkdown: {args.results}")
    return 0
