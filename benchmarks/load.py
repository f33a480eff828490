"""The HTTP load: `cairn serve` with gunicorn, and locust on loopback for a bounded time.

`run_load` picks people and their key results by queries, gives each a read-write API token,
writes the plan that `benchmarks/locustfile.py` reads, starts the server as an operator would
(`cairn serve --workers 2`), runs locust headless against it while sampling the memory of
every gunicorn worker, then stops the server, revokes the tokens and reads locust's CSV.

It runs in a process where Django is set up, against the database the environment chooses
(CAIRN_DATA_DIR for SQLite, DATABASE_URL for PostgreSQL); the server inherits that choice.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import psutil
from django.db import connections
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from benchmarks.sizes import PASSWORD as BENCH_PASSWORD
from cairn.checkins.models import CheckIn
from cairn.demo import loader as demo
from cairn.okrs.models import KeyResult
from cairn.okrs.queries import current_period
from cairn.orgs.models import ApiToken, Member, Organization, Period, Role, Team
from cairn.orgs.tokens import create_token, revoke_token

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "var" / "bench"
LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")

WORKERS = 2
# The API allows 600 requests a minute per token by default; a capacity test would spend
# most of its time in 429s. High rather than 0 (off), so the limiter's cache work is measured.
API_RATE_PER_MINUTE = 1_000_000
TOKEN_NAME = "cairn bench load"
SAMPLE_EVERY = 0.25
READY_TIMEOUT = 300.0
STOP_TIMEOUT = 30.0
KEY_RESULTS_PER_PERSON = 8
MB = 1024 * 1024


class LoadError(Exception):
    pass


# Who loads what ------------------------------------------------------------------------------


def _password_for(slug: str) -> str:
    return demo.DEMO_PASSWORD if slug == demo.ORG_SLUG else BENCH_PASSWORD


def _open_key_results(org: Organization, period: Period) -> QuerySet[KeyResult]:
    # Closed objectives refuse check-ins (409): only open ones are written to.
    return KeyResult.objects.filter(
        organization=org, objective__period=period, objective__closed_at__isnull=True
    )


def _pick_people(org: Organization, period: Period, count: int) -> list[Member]:
    """Members (role member) who own open key results in the period, spread over the
    organization by uid order; plus its first admin, who sees everything."""
    owners = (
        _open_key_results(org, period)
        .filter(owner__is_active=True, owner__user__is_active=True, owner__role=Role.MEMBER)
        .order_by("owner__uid")
        .values_list("owner_id", "owner__uid")
        .distinct()
    )
    ids = [pk for pk, _uid in owners[: max(1, count - 1)]]
    people = list(Member.objects.filter(pk__in=ids).select_related("user").order_by("uid"))
    admin = (
        Member.objects.filter(
            organization=org, role=Role.ADMIN, is_active=True, user__is_active=True
        )
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
    )
    if admin is not None and (count > 1 or not people):
        people.append(admin)
    return people


def _target(kr: KeyResult) -> dict[str, Any]:
    start, target = float(kr.start_value), float(kr.target_value)
    return {"id": str(kr.uid), "kind": kr.kind, "start": start, "target": target}


def _person_plan(
    member: Member, org: Organization, period: Period, fallback: list[KeyResult], token: str
) -> dict[str, Any]:
    own = list(
        _open_key_results(org, period)
        .filter(owner=member)
        .select_related("objective")
        .order_by("uid")[:KEY_RESULTS_PER_PERSON]
    )
    key_results = own or fallback
    objectives = list(dict.fromkeys(kr.objective for kr in key_results))
    # Their own team's page, else any team's (an admin need not be in one).
    teams = Team.objects.filter(organization=org).order_by("uid")
    team = teams.filter(memberships__member=member).first() or teams.first()

    def url(name: str, **kwargs: Any) -> str:
        return reverse(name, kwargs={"org": org.slug, **kwargs})

    home = url("okrs:home")
    return {
        "email": member.user.email,
        "member": str(member.uid),
        "role": member.role,
        "token": token,
        "period": str(period.uid),
        "pages": {
            "home": [home],
            "inbox": [url("checkins:inbox")],
            "team": [url("okrs:team", team=team.uid)] if team else [home],
            "objective": [url("okrs:objective", objective=o.uid) for o in objectives],
            "key_result": [url("checkins:key_result", key_result=kr.uid) for kr in key_results],
            "alignment_map": [f"{url('alignment:map')}?period={period.uid}"],
        },
        "objectives": [str(o.uid) for o in objectives],
        "key_results": [_target(kr) for kr in key_results],
    }


def _plan(
    org: Organization, *, users: int, password: str, tokens: list[ApiToken]
) -> dict[str, Any]:
    """Who signs in, what they read and write; their new tokens are added to `tokens` (for
    the caller to revoke, whatever happens)."""
    period = current_period(Period.objects.in_org(org), org.today())
    if period is None:
        raise LoadError(f"{org.slug} has no period to load")
    people = _pick_people(org, period, users)
    if not people:
        raise LoadError(f"nobody in {org.slug} owns an open key result in {period.name}")
    if not people[0].user.check_password(password):
        raise LoadError(f"{people[0].user.email} does not sign in with the benchmark password")
    fallback = list(
        _open_key_results(org, period)
        .filter(owner__in=people)
        .select_related("objective")
        .order_by("uid")[:KEY_RESULTS_PER_PERSON]
    )
    plans = []
    for member in people:
        token, raw = create_token(member=member, name=TOKEN_NAME)
        tokens.append(token)
        plans.append(_person_plan(member, org, period, fallback, raw))
    return dict(org=org.slug, period=period.name, users=users, password=password, people=plans)


# The server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cairn_command() -> list[str]:
    script = Path(sys.executable).with_name("cairn")
    # Without the console script (an uninstalled checkout): the same management command.
    return [str(script)] if script.exists() else [sys.executable, "-m", "django"]


def _gunicorn_args(given: str) -> str:
    """gunicorn >= 25.1 opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl):
    the benchmark's server must not take over, nor remove on exit, the socket of a server
    someone else runs on this machine."""
    version = tuple(int(part) for part in metadata.version("gunicorn").split(".")[:2])
    return f"{given} --no-control-socket".strip() if version >= (25, 1) else given


def _server_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "cairn.settings",
            "CAIRN_API_RATE_PER_MINUTE": str(API_RATE_PER_MINUTE),
            "CAIRN_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: secure cookies would never come back; debug mode would
            # keep every query in memory and skew the memory measurement.
            "CAIRN_SECURE_COOKIES": "0",
            "CAIRN_DEBUG": "0",
            "GUNICORN_CMD_ARGS": _gunicorn_args(env.get("GUNICORN_CMD_ARGS", "")),
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p),
        }
    )
    return env


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> float:
    started = time.monotonic()
    while time.monotonic() - started < READY_TIMEOUT:
        if proc.poll() is not None:
            raise LoadError(f"the server exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise LoadError(f"the server did not answer {url} within {READY_TIMEOUT:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    # gunicorn's workers leave when their master does, even when it has to be killed.
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(path: Path, lines: int = 30) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


class RssSampler(threading.Thread):
    """Peak resident memory of every gunicorn worker (children of the master) while it runs (a
    replaced worker keeps its own entry); and the workers' CPU time from the moment `mark`
    appears (locust writes it once every user has signed in) to the last sample."""

    def __init__(self, master_pid: int, mark: Path) -> None:
        super().__init__(daemon=True)
        self.master = psutil.Process(master_pid)
        self.mark = mark
        self.peaks: dict[int, int] = {}
        self.master_peak = 0
        self.samples = 0
        self.cpu: dict[int, float] = {}
        self.cpu_from: dict[int, float] | None = None
        self._stop_event = threading.Event()

    def sample(self) -> dict[int, int]:
        now: dict[int, int] = {}
        with contextlib.suppress(psutil.Error):
            self.master_peak = max(self.master_peak, self.master.memory_info().rss)
            for child in self.master.children(recursive=False):
                with contextlib.suppress(psutil.Error):
                    now[child.pid] = child.memory_info().rss
                    times = child.cpu_times()
                    self.cpu[child.pid] = times.user + times.system
        if self.cpu_from is None and self.mark.exists():
            self.cpu_from = dict(self.cpu)
        for pid, rss in now.items():
            self.peaks[pid] = max(self.peaks.get(pid, 0), rss)
        self.samples += 1
        return now

    def cpu_seconds(self) -> float | None:
        start = self.cpu_from
        return None if start is None else sum(t - start.get(p, 0) for p, t in self.cpu.items())

    def run(self) -> None:
        while not self._stop_event.wait(SAMPLE_EVERY):
            self.sample()

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.sample()


# Locust --------------------------------------------------------------------------------------


def _run_locust(
    host: str, plan_file: Path, prefix: Path, *, seconds: int, users: int, log: IO[bytes]
) -> int:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
    cmd += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host]
    cmd += ["--csv", str(prefix), "--only-summary", "--stop-timeout", "5"]
    cmd += ["--loglevel", "WARNING", "--exit-code-on-error", "0"]
    env = dict(os.environ, CAIRN_BENCH_PLAN=str(plan_file))
    env["CAIRN_BENCH_WARMUP"] = str(_warmup_file(prefix))
    try:
        return subprocess.call(
            cmd, cwd=OUT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=seconds + 120
        )
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"locust did not finish within {seconds + 120} s") from exc


def _warmup_file(prefix: Path) -> Path:
    return Path(f"{prefix}_warmup.json")


def _number(value: str) -> float | None:
    return None if value == "N/A" else float(value)  # N/A: an entry without requests


def _read_stats(prefix: Path) -> dict[str, Any]:
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise LoadError(f"locust wrote no statistics ({stats_file})")
    with stats_file.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    total = next((row for row in rows if row["Name"] == "Aggregated"), None)
    if total is None:
        raise LoadError(f"no Aggregated row in {stats_file}")
    per_endpoint = [
        {
            "name": f"{row['Type']} {row['Name']}",
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": _number(row["50%"]),
            "p95_ms": _number(row["95%"]),
        }
        for row in rows
        if row is not total and int(row["Request Count"])
    ]
    failures: dict[str, int] = {}
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with failures_file.open(newline="") as fh:
            for row in csv.DictReader(fh):
                error = re.sub(r"^CatchResponseError\('(.*)'\)$", r"\1", row["Error"])
                key = f"{row['Method']} {row['Name']}: {error}"
                failures[key] = failures.get(key, 0) + int(row["Occurrences"])
    return {
        "requests": int(total["Request Count"]),
        "errors": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": _number(total["50%"]),
        "p95_ms": _number(total["95%"]),
        "max_ms": _number(total["Max Response Time"]),
        "failures": failures,
        "per_endpoint": per_endpoint,
    }


# The run -------------------------------------------------------------------------------------


def _mb(value: int) -> float:
    return round(value / MB, 1)


def _serve_and_load(
    *, port: int, plan_file: Path, prefix: Path, seconds: int, users: int, logs: dict[str, Path]
) -> tuple[int, float, dict[int, int], RssSampler]:
    """Start `cairn serve`, wait for it, run locust while sampling the workers, stop it."""
    host = f"http://127.0.0.1:{port}"
    cmd = [*_cairn_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(WORKERS)]
    sampler: RssSampler | None = None
    proc: subprocess.Popen[bytes] | None = None
    try:
        with logs["server"].open("wb") as slog, logs["locust"].open("wb") as llog:
            env = _server_env()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=slog, stderr=subprocess.STDOUT)
            ready_s = _wait_ready(proc, f"{host}/accounts/login/", logs["server"])
            sampler = RssSampler(proc.pid, mark=_warmup_file(prefix))
            idle = sampler.sample()
            sampler.peaks.clear()
            sampler.start()
            code = _run_locust(host, plan_file, prefix, seconds=seconds, users=users, log=llog)
            sampler.stop()
            if proc.poll() is not None:
                raise LoadError(f"the server died during the load:\n{_tail(logs['server'])}")
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        if proc is not None:
            _stop(proc)
    return code, ready_s, idle, sampler


def run_load(slug: str, *, seconds: int, users: int, password: str | None = None) -> dict[str, Any]:
    """Serve the database the environment chooses with `cairn serve --workers 2` and drive it
    with `users` locust users for `seconds`; returns throughput, latency, errors and the peak
    memory of each gunicorn worker. `password` defaults to the generated organizations' (or
    the demo's, for `acme`)."""
    if seconds < 1 or users < 1:
        raise LoadError("seconds and users must be at least 1")
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise LoadError(f"no organization {slug!r}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    label = f"load-{slug}-{connections['default'].vendor}"
    logs = {name: OUT_DIR / f"{label}-{name}.log" for name in ("server", "locust")}
    plan_file = OUT_DIR / f"{label}-plan.json"
    prefix = OUT_DIR / label
    for stale in OUT_DIR.glob(f"{label}_*"):
        stale.unlink()

    started_at = timezone.now()
    load_before = os.getloadavg()[0]
    tokens: list[ApiToken] = []
    try:
        plan = _plan(org, users=users, password=password or _password_for(slug), tokens=tokens)
        # The server's workers write to the same database: hold no connection (nor lock).
        connections.close_all()
        port = _free_port()
        # The plan holds the tokens' secrets: readable by its owner only, removed afterwards.
        plan_file.touch(mode=0o600)
        plan_file.write_text(json.dumps(plan | {"host": f"http://127.0.0.1:{port}"}, indent=2))
        code, ready_s, idle, sampler = _serve_and_load(
            port=port, plan_file=plan_file, prefix=prefix, seconds=seconds, users=users, logs=logs
        )
    finally:
        plan_file.unlink(missing_ok=True)
        for token in tokens:
            revoke_token(token=token, actor=None)
        connections.close_all()

    stats = _read_stats(prefix)
    path = _warmup_file(prefix)
    warmup: dict[str, Any] | None = json.loads(path.read_text()) if path.exists() else None
    cpu_s = sampler.cpu_seconds()
    cpu_ms = round(cpu_s * 1000 / stats["requests"], 1) if cpu_s and stats["requests"] else None
    cores = min(WORKERS, os.cpu_count() or 1)
    authors = [token.member_id for token in tokens]
    recorded = CheckIn.objects.filter(author_id__in=authors, at__gte=started_at).count()
    peaks = [_mb(v) for _pid, v in sorted(sampler.peaks.items())]
    roles = ", ".join(sorted({p["role"] for p in plan["people"]}))
    notes = [
        f"API rate limit raised to {API_RATE_PER_MINUTE}/min per token for the load "
        "(CAIRN_API_RATE_PER_MINUTE; the default 600/min would answer most requests with 429)",
        f"{len(plan['people'])} people ({roles}) in {plan['period']}, {users} locust users "
        "(people reused round-robin)",
        "locust (one process, FastHttpUser) runs on the same machine as the server "
        f"({os.cpu_count()} cores): both compete for the CPU",
        f"check-ins written by the load stay in the database ({recorded} this run)",
    ]
    if warmup is None:
        notes.append("not every user signed in: the numbers include the sign-ins")
    else:
        notes.append(
            f"numbers cover the ~{max(0.0, seconds - warmup['seconds']):.1f} s after every user "
            f"signed in ({warmup['logins']} sign-ins excluded, slowest "
            f"{warmup['login_max_ms']:.0f} ms)"
        )
    if code:
        notes.append(f"locust exited with {code} (see {logs['locust'].relative_to(ROOT)})")
    failures = stats["failures"]
    for key, count in (warmup or {}).get("failures", {}).items():
        failures[f"(warm-up) {key}"] = count
    return {
        "seconds": seconds,
        "users": users,
        "workers": WORKERS,
        **{key: stats[key] for key in ("requests", "rps", "p50_ms", "p95_ms", "max_ms")},
        "errors": stats["errors"] + sum((warmup or {}).get("failures", {}).values()),
        "failures": failures,
        "per_endpoint": stats["per_endpoint"],
        "check_ins_recorded": recorded,
        "worker_peak_rss_mb": peaks,
        "worker_peak_rss_mb_max": max(peaks) if peaks else None,
        "worker_idle_rss_mb": [_mb(v) for _pid, v in sorted(idle.items())],
        "master_peak_rss_mb": _mb(sampler.master_peak),
        "rss_samples": sampler.samples,
        "server_rss_note": (
            f"resident set size of each gunicorn sync worker, sampled every {SAMPLE_EVERY} s "
            "during the load (no --preload: each worker imports Django itself, so little but "
            "the libraries is shared with the master)"
        ),
        "server_cpu_ms_per_request": cpu_ms,
        # What the workers could serve with a core each and nothing else running: the
        # machine is shared with locust (and whatever else runs), this is not.
        "cpu_bound_rps": round(cores * 1000 / cpu_ms) if cpu_ms else None,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "server_ready_s": round(ready_s, 1),
        "api_rate_per_minute": API_RATE_PER_MINUTE,
        "database": connections["default"].vendor,
        "warmup": warmup,
        "logs": {name: str(path.relative_to(ROOT)) for name, path in logs.items()},
        "notes": notes,
    }
