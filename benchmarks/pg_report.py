"""The markdown report of a bench_pg.py run: figures, same-round ratios, litequeue's targets."""

from __future__ import annotations

import itertools
import json
import statistics
from collections.abc import Callable
from typing import Any

Result = dict[str, Any]
Key = tuple[str, str]  # (system, op)

MAIN_OPS = ["enqueue1", "batch", "drain1", "drain100", "e2e"]
SCALING = [("drain1", "drain1_p2", "drain1_p4"), ("drain100", "drain100_p2", "drain100_p4")]
NOT_FALLING = 0.95  # "throughput does not fall": each step keeps >= 95% (noise of a shared VM)
FLOORS = ("raw", "raw-events")  # raw: the floor; raw-events: plus the contract's events


class Runs:
    """Results grouped by (system, op), with same-round ratios."""

    def __init__(self, results: list[Result]) -> None:
        self.by: dict[Key, list[Result]] = {}
        for r in results:
            self.by.setdefault((r["system"], r["op"]), []).append(r)

    def values(self, key: Key, field: str = "rate") -> list[float]:
        return [float(r[field]) for r in self.by.get(key, []) if r.get(field)]

    def per_round(self, key: Key, field: str = "rate") -> dict[int, float]:
        return {r["round"]: float(r[field]) for r in self.by.get(key, []) if r.get(field)}

    def median(self, key: Key, field: str = "rate") -> float | None:
        vals = self.values(key, field)
        return statistics.median(vals) if vals else None

    def ratio(self, a: Key, b: Key | list[Key]) -> float | None:
        """Median over rounds of a / b (b: the best of several), each pair from the same round."""
        refs = b if isinstance(b, list) else [b]
        ra = self.per_round(a)
        rbs = [self.per_round(k) for k in refs]
        ratios = []
        for rnd, va in ra.items():
            ref = [rb[rnd] for rb in rbs if rnd in rb]
            if ref:
                ratios.append(va / max(ref))
        return statistics.median(ratios) if ratios else None

    def once_bad(self, system: str) -> list[str]:
        bad = []
        for (s, op), runs in self.by.items():
            for r in runs:
                o = r.get("once")
                if s == system and o and (o["dups"] or o["lost"] or o["unexpected"]):
                    bad.append(f"{op} r{r['round']}: dup {o['dups']} lost {o['lost']}")
        return bad

    def once_count(self, system: str) -> tuple[int, int]:
        runs = [r for (s, _), rs in self.by.items() if s == system for r in rs if r.get("once")]
        return len(runs) - len(self.once_bad(system)), len(runs)

    def errors(self) -> list[str]:
        return [
            f"{s} {op} r{r['round']}: {r['error'][:200]}"
            for (s, op), rs in self.by.items()
            for r in rs
            if r.get("error")
        ]


def fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:,.0f}"


def cell(runs: Runs, key: Key, ref: Key | None) -> str:
    vals = runs.values(key)
    if not vals:
        failed = [r for r in runs.by.get(key, []) if r.get("error")]
        return "FAILED" if failed else "—"
    text = f"{fmt(statistics.median(vals))} [{fmt(min(vals))}-{fmt(max(vals))}]"
    ratio = runs.ratio(key, ref) if ref else None
    if ratio is not None and key != ref:
        text += f" ({ratio:.2f}x)"
    if runs.once_bad(key[0]) and any(
        r.get("once") and (r["once"]["dups"] or r["once"]["lost"]) for r in runs.by[key]
    ):
        text += " ⚠"
    return text


def latency_cell(runs: Runs, system: str) -> str:
    p50 = runs.values((system, "latency"), "p50_ms")
    p99 = runs.values((system, "latency"), "p99_ms")
    if not p50:
        return "—"
    return f"{statistics.median(p50):.1f} / {statistics.median(p99):.1f}"


def targets(runs: Runs, peers: list[str]) -> list[tuple[str, str, bool | None]]:
    """litequeue's targets: (what, measured, met); met None when not measured."""
    lq = "litequeue"
    out: list[tuple[str, str, bool | None]] = []

    def add(what: str, value: float | None, shown: Callable[[float], str], ok: bool) -> None:
        if value is None:
            out.append((what, "not measured", None))
        else:
            out.append((what, shown(value), ok))

    for peer in peers:
        r = runs.ratio((lq, "drain100"), [(peer, "drain1"), (peer, "drain100")])
        add(f"batch drain ahead of {peer} (its better drain)", r, "{:.2f}x".format,
            r is not None and r > 1.0)  # fmt: skip
    for op, floor, label in (
        ("drain100", "raw", "batch drain >= 0.70x raw (100 per claim)"),
        ("drain1", "raw", "one per claim >= 0.70x raw"),
        ("enqueue1", "raw", "enqueue one by one >= 0.70x raw INSERT + event"),
        ("drain100", "raw-events", "batch drain >= 0.70x raw-events (100 per claim)"),
        ("drain1", "raw-events", "one per claim >= 0.70x raw-events"),
    ):
        r = runs.ratio((lq, op), (floor, op))
        add(label, r, "{:.2f}x".format, r is not None and r >= 0.70)
    p50 = runs.median((lq, "latency"), "p50_ms")
    p99 = runs.median((lq, "latency"), "p99_ms")
    add("latency p50 <= 5 ms", p50, "{:.1f} ms".format, p50 is not None and p50 <= 5)
    add("latency p99 <= 20 ms", p99, "{:.1f} ms".format, p99 is not None and p99 <= 20)
    small = runs.ratio((lq, "claim_small"), (lq, "claim_big"))  # rate small / rate big = cost ratio
    add("claim cost 1k -> big finished rows <= 1.50x", small, "{:.2f}x time per job".format,
        small is not None and small <= 1.5)  # fmt: skip
    for steps in SCALING:
        for a, b in [*itertools.pairwise(steps), (steps[0], steps[-1])]:
            r = runs.ratio((lq, b), (lq, a))
            add(f"{b} >= {NOT_FALLING:.2f}x {a}", r, "{:.2f}x".format,
                r is not None and r >= NOT_FALLING)  # fmt: skip
    good, total = runs.once_count(lq)
    out.append(("zero duplicates, zero lost (every worker run)", f"{good}/{total} runs clean",
                total > 0 and good == total))  # fmt: skip
    return out


def report(results: list[Result], meta: dict[str, Any]) -> str:
    runs = Runs(results)
    systems = meta["systems"]
    peers = [s for s in systems if s != "litequeue" and s not in FLOORS]
    server = meta["server"]
    lines = [
        "# PostgreSQL benchmark: litequeue, peers and the raw psycopg floor",
        "",
        f"Run {meta['when']} ({meta['wall_s']} s), {meta['machine']}; PostgreSQL "
        f"{server['server_version']} on the same machine over loopback TCP. Server settings: "
        + ", ".join(f"{k}={v}" for k, v in server.items() if k != "server_version")
        + f". litequeue durability={meta['durability']!r}. N={meta['n']} jobs "
        f"(claim ops: 2000 beside 1k / {meta['big']:,} finished rows; latency: "
        f"{meta['lat_n']} jobs {meta['lat_spacing'] * 1000:.0f} ms apart), "
        f"{meta['rounds']} interleaved rounds.",
        "",
        "Cells: jobs/s median [min-max] (median of same-round ratios to raw doing the same op). "
        "raw-events: raw plus the event row of each claim and ack, in the same statement. "
        "⚠ = a duplicate or a lost job in some round.",
        "",
        "## Side by side",
        "",
        "| system (conc. 1 / batch) | " + " | ".join(MAIN_OPS) + " | latency p50 / p99 ms "
        "| exactly-once |",
        "|---|" + "---:|" * (len(MAIN_OPS) + 1) + "---|",
    ]
    conc = meta["conc"]
    for s in systems:
        once_good, once_total = runs.once_count(s)
        row = [cell(runs, (s, op), ("raw", op)) for op in MAIN_OPS]
        lines.append(
            f"| {s} ({conc[s][0]} / {conc[s][1]}) | " + " | ".join(row)
            + f" | {latency_cell(runs, s)} | {once_good}/{once_total} clean |"
        )  # fmt: skip
    if "litequeue" in systems and peers:
        lines += ["", "## litequeue / peer (same-round ratios)", ""]
        lines.append("| peer | " + " | ".join(MAIN_OPS) + " | batch drain / peer's better drain |")
        lines.append("|---|" + "---:|" * (len(MAIN_OPS) + 1))
        for p in peers:
            ratios = [runs.ratio(("litequeue", op), (p, op)) for op in MAIN_OPS]
            best = runs.ratio(("litequeue", "drain100"), [(p, "drain1"), (p, "drain100")])
            shown = ["—" if r is None else f"{r:.2f}x" for r in [*ratios, best]]
            lines.append(f"| {p} | " + " | ".join(shown) + " |")
    if "litequeue" in systems and "raw-events" in systems:
        lines += ["", "## litequeue / raw-events (same-round ratios)", ""]
        lines.append("| | " + " | ".join(MAIN_OPS) + " |")
        lines.append("|---|" + "---:|" * len(MAIN_OPS))
        ratios = [runs.ratio(("litequeue", op), ("raw-events", op)) for op in MAIN_OPS]
        lines.append("| litequeue | " + " | ".join(
            "—" if r is None else f"{r:.2f}x" for r in ratios) + " |")  # fmt: skip
    ours = [s for s in ("litequeue", *FLOORS) if s in systems]
    lines += ["", "## Claim cost and worker processes (jobs/s)", ""]
    lines.append("| system | claim, 1k finished | claim, big | drain1 1 / 2 / 4 procs "
                 "| drain100 1 / 2 / 4 procs |")  # fmt: skip
    lines.append("|---|---:|---:|---:|---:|")
    for s in ours:
        scale = [" / ".join(fmt(runs.median((s, op))) for op in steps) for steps in SCALING]
        lines.append(
            f"| {s} | {fmt(runs.median((s, 'claim_small')))} | {fmt(runs.median((s, 'claim_big')))}"
            f" | {scale[0]} | {scale[1]} |"
        )
    if "litequeue" in systems:
        lines += ["", "## litequeue's targets", "", "| target | measured | met |", "|---|---|---|"]
        for what, measured, ok in targets(runs, peers):
            met = "—" if ok is None else ("yes" if ok else "**NO**")
            lines.append(f"| {what} | {measured} | {met} |")
    errors = runs.errors()
    if errors:
        lines += ["", "## Failed measurements", ""] + [f"- {e}" for e in errors]
    lines += ["", "## Every measurement", ""]
    lines.append("| round | system | op | conc x procs | jobs/s | extra | dup / lost / per worker |"
                 " rows after | stop |")  # fmt: skip
    lines.append("|---:|---|---|---|---:|---|---|---|---|")
    for r in sorted(results, key=lambda r: (r["system"], r["op"], r["round"])):
        extra = [f"{k}={r[k]}" for k in ("p50_ms", "p99_ms", "max_ms", "setup_s") if k in r]
        if "producer_rate" in r:
            extra.append(f"producer={fmt(r['producer_rate'])}/s")
        if r.get("capped"):
            extra.append("CAPPED")
        o = r.get("once")
        once = f"{o['dups']} / {o['lost']} / {o['per_worker']}" if o else "—"
        stops = ", ".join(
            f"{'KILLED ' if s.get('killed') else ''}rc {s['rc']} {s['stop_s']}s"
            for s in r.get("stop", [])
        )
        procs = f"{r['conc']} x {r['workers']}" if "conc" in r else ""
        lines.append(
            f"| {r['round']} | {r['system']} | {r['op']} | {procs} | {fmt(r.get('rate'))} "
            f"| {'; '.join(extra)} | {once} | {json.dumps(r.get('state', {}), sort_keys=True)} "
            f"| {stops or '—'} |"
        )
    lines += ["", "## Versions", "", "| system | packages |", "|---|---|"]
    for s, v in meta["versions"].items():
        lines.append(f"| {s} | " + ", ".join(f"{k} {x}" for k, x in v.items()) + " |")
    return "\n".join(lines) + "\n"


def statements_text(res: Result, jobs: int) -> str:
    """Where one measurement's server time went: each statement's calls and time per job.

    Needs a server that loads pg_stat_statements (shared_preload_libraries). Statements per job
    approximate round trips per job (BEGIN and COMMIT count as statements too).
    """
    if "statements" not in res:
        return "no statements: " + json.dumps(res)[:400]
    stmts = res["statements"]
    calls = sum(s["calls"] for s in stmts)
    server_ms = sum(s["total_ms"] for s in stmts)
    rate = res.get("rate")
    wall_ms = 1000 / rate if rate else None
    lines = [
        f"{res['system']} {res['op']}: {fmt(rate)} jobs/s"
        + (f" = {wall_ms * 1000:.0f} us per job wall" if wall_ms else "")
        + f"; server: {calls / jobs:.2f} statements and {server_ms / jobs * 1000:.0f} us per job",
        "",
        f"{'calls/job':>9} {'rows/call':>9} {'us/job':>8} {'us/call':>8}  statement",
    ]
    for s in stmts:
        per_call = s["total_ms"] / s["calls"] * 1000 if s["calls"] else 0
        lines.append(
            f"{s['calls'] / jobs:9.3f} {s['rows'] / max(s['calls'], 1):9.1f} "
            f"{s['total_ms'] / jobs * 1000:8.1f} {per_call:8.1f}  {s['query'][:160]}"
        )
    return "\n".join(lines)
