"""The benchmark's output: a table for the terminal and benchmarks/RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

RATIO_TARGET = 3.0
LOAD_RPS_TARGET = 300
WORKER_MB_TARGET = 200
GENERATE_SECONDS_TARGET = 600
GENERATE_MB_TARGET = 2048


def verdict(row: dict[str, Any]) -> str:
    """'ok', or what was missed ('p95', 'ratio', 'error')."""
    if row.get("error"):
        return "error"
    misses = []
    if row.get("p95_ms") is not None and row["p95_ms"] > row["target_ms"]:
        misses.append("p95")
    if row.get("ratio") is not None and row["ratio"] > RATIO_TARGET:
        misses.append("ratio")
    if not misses:
        return "ok"
    return "MISS " + "+".join(misses) + (" (guidance)" if row.get("target_kind") != "issue" else "")


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


HEADER = (
    "scenario",
    "who",
    "p50 ms",
    "p95 ms",
    "max ms",
    "queries",
    "floor ms",
    "app/floor",
    "target",
    "verdict",
)


def _rows(leg: dict[str, Any]) -> list[list[str]]:
    out = []
    for row in leg.get("pages", []):
        target = f"≤{row['target_ms']:g}" + ("" if row.get("target_kind") == "issue" else "*")
        out.append(
            [
                row["name"],
                row["who"],
                _num(row.get("p50_ms")),
                _num(row.get("p95_ms")),
                _num(row.get("max_ms")),
                _num(row.get("queries")),
                _num(row.get("floor_ms"), 2),
                _num(row.get("ratio")),
                target,
                verdict(row),
            ]
        )
    return out


def _generation(leg: dict[str, Any]) -> str:
    gen = leg.get("generate")
    if not gen:
        return "generation: not recorded"
    reused = " (database reused from an earlier run)" if gen.get("reused") else ""
    ok = gen["seconds"] <= GENERATE_SECONDS_TARGET and gen["peak_rss_mb"] <= GENERATE_MB_TARGET
    return (
        f"generation: {gen['seconds']:.0f} s, peak {gen['peak_rss_mb']} MB "
        f"(target ≤{GENERATE_SECONDS_TARGET} s, ≤{GENERATE_MB_TARGET} MB: "
        f"{'ok' if ok else 'MISS'}){reused}"
    )


def _load(leg: dict[str, Any]) -> str:
    load = leg.get("load")
    if not load:
        return "HTTP load: not run"
    if load.get("error"):
        return f"HTTP load: failed: {load['error']}"
    ok = (
        load["rps"] >= LOAD_RPS_TARGET
        and load["errors"] == 0
        and (load.get("worker_peak_rss_mb_max") or 0) <= WORKER_MB_TARGET
    )
    return (
        f"HTTP load ({load['workers']} gunicorn workers, {load['users']} users, "
        f"{load['seconds']} s, mixed read/write): {load['rps']:.0f} req/s, "
        f"p50 {_num(load.get('p50_ms'), 0)} ms, p95 {_num(load.get('p95_ms'), 0)} ms, "
        f"{load['errors']} errors of {load['requests']}, worker peak RSS "
        f"{_num(load.get('worker_peak_rss_mb_max'), 0)} MB (target ≥{LOAD_RPS_TARGET} req/s, "
        f"0 errors, ≤{WORKER_MB_TARGET} MB: {'ok' if ok else 'MISS'})"
    )


def _title(leg: dict[str, Any]) -> str:
    return f"{leg['label']} ({leg.get('database', '?')}), size {leg['size']}, seed {leg['seed']}"


def table(legs: list[dict[str, Any]]) -> str:
    parts = []
    for leg in legs:
        rows = [list(HEADER), *_rows(leg)]
        widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
        lines = [_title(leg), _generation(leg)]
        for n, r in enumerate(rows):
            lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.append(_load(leg))
        parts.append("\n".join(lines))
    parts.append("* no target in the issue: our own guidance. app/floor = app p50 / floor p50.")
    return "\n\n".join(parts)


def machine() -> dict[str, str]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        first = meminfo.read_text().splitlines()[0].split()
        memory = f"{int(first[1]) / 1024 / 1024:.0f} GiB"
    import django

    return {
        "cpu": cpu or platform.processor(),
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def _md_table(header: list[str] | tuple[str, ...], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def _query_sizes(results_dir: Path, seed: int) -> list[str]:
    """Queries per request at every size that has results (constant = same in every column)."""
    by_size: dict[str, dict[tuple[str, str, str], Any]] = {}
    for size in ("S", "M", "L"):
        path = results_dir / f"results-{size}-{seed}.json"
        if not path.exists():
            continue
        for leg in json.loads(path.read_text()):
            for row in leg.get("pages", []):
                key = (leg["label"], row["name"], row["who"])
                by_size.setdefault(size, {})[key] = row.get("queries")
    if len(by_size) < 2:
        return []
    sizes = list(by_size)
    keys = sorted({k for d in by_size.values() for k in d})
    rows = []
    for key in keys:
        counts = [by_size[s].get(key) for s in sizes]
        same = len({c for c in counts if c is not None}) == 1
        rows.append([*key, *(_num(c) for c in counts), "yes" if same else "NO"])
    return [
        "",
        "### Queries per request at each size",
        "",
        *_md_table(["database", "scenario", "who", *sizes, "constant"], rows),
    ]


def markdown(legs: list[dict[str, Any]], *, elapsed: float, results_dir: Path) -> str:
    m = machine()
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`cairn bench run`); see the README's *Benchmark* section for",
        "what is measured and how. Times are server time in process (p50/p95/max over the",
        "timed requests); the floor is the same rows fetched by hand-written SQL, one round",
        "trip per table; app/floor = app p50 / floor p50. Targets marked * are our own",
        "guidance where the issue sets none.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; "
        f"Python {m['python']}, Django {m['django']}. Whole run: {elapsed / 60:.1f} min.",
    ]
    for leg in legs:
        lines += ["", f"## {_title(leg)}", "", _generation(leg), ""]
        rows = _rows(leg)
        lines += _md_table(HEADER, rows)
        lines += ["", _load(leg)]
        load = leg.get("load") or {}
        if load.get("per_endpoint"):
            lines += ["", "| endpoint | requests | p95 ms |", "|---|---|---|"]
            lines += [
                f"| {e['name']} | {e['requests']} | {_num(e.get('p95_ms'), 0)} |"
                for e in load["per_endpoint"]
            ]
        if load.get("notes"):
            lines += ["", f"Notes: {load['notes']}"]
        gen = leg.get("generate") or {}
        if gen.get("rows"):
            counts = ", ".join(f"{k} {v:,}" for k, v in gen["rows"].items())
            lines += ["", f"Rows written: {counts}."]
    if legs:
        lines += _query_sizes(results_dir, legs[0]["seed"])
    return "\n".join(lines) + "\n"
