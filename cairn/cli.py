"""The `cairn` command: a thin front over Cairn's Django management commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# name -> (Django management command, one-line description, usage)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": (
        "serve",
        "apply pending migrations, then serve with gunicorn",
        "[--host 127.0.0.1] [--port 8000] [--workers 2]",
    ),
    "demo": (
        "demo",
        "load the demo organization Acme (only into an empty database)",
        "[--reset | --if-empty]",
    ),
    "createorg": (
        "createorg",
        "create an organization and its first admin",
        "--name NAME --slug SLUG --admin EMAIL [--password P]",
    ),
    "adduser": (
        "adduser",
        "add a person to an organization",
        "--org SLUG --email EMAIL --role admin|member|viewer [--team TEAM] [--password P]",
    ),
    "token": (
        "token",
        "create, list or revoke personal API tokens (create prints the token last)",
        "create --email EMAIL [--org SLUG] [--read-only] [--name NAME] | list ... | revoke PREFIX",
    ),
    "check": (
        "cairn_check",
        "Django's deployment checks plus Cairn's own",
        "[--fail-level ERROR]",
    ),
    "remind": (
        "remind",
        "queue check-in reminders and team lead digests (idempotent; for cron)",
        "[--org SLUG] [--now ISO]",
    ),
    "deliver-webhooks": (
        "deliver_webhooks",
        "send due webhook deliveries and retries, announce stale key results (idempotent)",
        "",
    ),
    "worker": (
        "worker",
        "run the background task worker, and the reminder job on schedule",
        "[--no-schedule] [--interval 900] [--poll 1] [--batch]",
    ),
    "export": (
        "export",
        "export a period report as CSV, XLSX or JSON (without --as: everything, as an admin)",
        "--org SLUG --period NAME [--format csv|xlsx|json] [--output FILE] [--as EMAIL] "
        "[--team NAME]",
    ),
    "bench": (
        "",
        "the scale benchmark: generate a synthetic organization, measure it (source checkout)",
        "generate --size S|M|L [--seed N] | run [--size L] [--databases sqlite,postgres]",
    ),
    "manage": ("", "run any Django management command (migrate, createsuperuser, ...)", "..."),
}


def usage() -> str:
    lines = [
        "usage: cairn COMMAND [options]",
        "",
        "Cairn, a self-hostable OKR platform. Commands:",
    ]
    for name, (_django, description, _args) in COMMANDS.items():
        lines.append(f"  {name:<10} {description}")
    lines += ["", "Arguments:"]
    for name, (_django, _description, args) in COMMANDS.items():
        lines.append(f"  cairn {name} {args}")
    lines += [
        "",
        "`cairn COMMAND --help` shows a command's options. Configuration comes from the",
        "environment (CAIRN_DATA_DIR, DATABASE_URL, ...): see the README.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"cairn: unknown command {name!r}\n", file=sys.stderr)
        print(usage(), file=sys.stderr)
        return 2
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")
    if name == "bench":
        return _bench(rest)
    if name == "manage":
        from django.core.management import execute_from_command_line

        execute_from_command_line(["cairn manage", *rest])
        return 0
    import django
    from django.core.management import ManagementUtility

    django.setup()
    command = ManagementUtility(["cairn"]).fetch_command(COMMANDS[name][0])
    # argv[1] names the command in usage lines: "cairn check", not "cairn cairn_check".
    # Django exits 1 itself on CommandError, printing "CommandError: <message>".
    command.run_from_argv(["cairn", name, *rest])
    return 0


def _bench(rest: list[str]) -> int:
    """The benchmark lives beside the package in a source checkout (`benchmarks/`), not in it."""
    from pathlib import Path

    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / "benchmarks" / "cli.py").exists():
        print("cairn bench: runs from a source checkout (benchmarks/ is not here)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(checkout))
    from benchmarks.cli import main as bench_main

    return bench_main(rest)


if __name__ == "__main__":
    sys.exit(main())
