"""``make bench``: every benchmark in ``bench/``, each figure next to a baseline from the same run.

    uv run python -m bench                 # the full run (1M cases, 5k teams), < 20 minutes
    uv run python -m bench --quick         # 100k cases, shorter loads: a smoke run
    uv run python -m bench --only intake,map

Steps: generate the city into a throwaway cluster (``bench.generate``), restart it with fsync on,
start the API as production runs it (``tanggap serve``, uvicorn, ``TANGGAP_WORKERS``), then run
each module's ``run(ctx)`` (intake, map, nearest, positions), read the API workers' peak RSS,
compare servers and worker counts on intake, drain the push outbox with ``tanggap worker`` (its
peak RSS and rate), then the other engineers' benches: a module's ``run()`` when it takes no
arguments, otherwise ``python -m bench.<name>`` with its printed figures captured.
Results: ``bench/results/latest.md`` and ``latest.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import importlib
import inspect
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.generate import Dataset, build
from bench.harness import (
    ROOT,
    Figure,
    Proc,
    machine,
    start_api,
    start_worker,
    status_kb,
)

RESULTS = ROOT / "bench" / "results"
MINE = ["intake", "map", "nearest", "positions", "transitions"]
# Run only when asked for with --only (they size settings once; see docs/performance.md).
OPT_IN = {"pool"}
# Other engineers' benches: module name -> extra arguments when run as a process.
OTHERS: dict[str, list[str]] = {
    "push_bench": [],
    # One area warning to 10,000 subscribed citizens, p95 delay against raw sends.
    "warning_bench": [],
    # At 1M cases its data generation alone takes ~10 min: inside `make bench` it runs at a
    # fifth of that so it fits the time box; `python -m bench.stats_bench` gives the 1M figures.
    "stats_bench": ["--cases", "200000", "--calls", "600000", "--budget", "60"],
    # Lighthouse (npx lighthouse@11) three times: about 45 s.
    "pwa_budget": ["--runs", "3"],
}
OTHER_TIMEOUT_S = 300


@dataclass
class Context:
    """What a benchmark module's ``run(ctx)`` gets."""

    dataset: Dataset
    work: Path
    logs: Path
    data_dir: Path
    seconds: float
    connections: int
    api_workers: int
    api_server: str
    api: Proc = field(init=False)
    record: dict[str, Any] = field(default_factory=dict)
    log: Callable[[str], None] = print


# ------------------------------------------------------- a push service sink
class Sink:
    """Accepts every Web Push POST with 201 (the worker's counterpart; no decryption here:
    ``bench/push_bench.py`` measures real decrypted delivery)."""

    def __init__(self) -> None:
        sink = self
        self.times: list[float] = []
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with sink.lock:
                    sink.times.append(time.monotonic())
                self.send_response(201)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _dispatcher_devices(dsn: str, sink_port: int, n: int = 3) -> None:
    """Push subscriptions for the dispatcher: a P1 intake writes one outbox row per device."""
    import asyncpg
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    conn = await asyncpg.connect(dsn)
    try:
        uid = await conn.fetchval("SELECT id FROM users WHERE username = 'dispatcher'")
        for i in range(n):
            key = ec.generate_private_key(ec.SECP256R1()).public_key()
            point = key.public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            await conn.execute(
                "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, language, "
                "user_agent) VALUES ($1, $2, $3, $4, 'id', 'bench') "
                "ON CONFLICT (endpoint) DO NOTHING",
                uid,
                f"http://127.0.0.1:{sink_port}/push/dispatcher-{i}",
                b64(point),
                b64(b"0123456789abcdef"),
            )
    finally:
        await conn.close()


async def _pending(dsn: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM notifications WHERE status = 'pending'")
        )
    finally:
        await conn.close()


# ----------------------------------------------------------------- phases
def api_memory(ctx: Context, proc: Proc) -> list[Figure]:
    peaks = proc.peak_rss_mb()
    worst = max(peaks.values()) if peaks else 0.0
    ctx.record["api_peak_rss_mb"] = peaks
    ctx.log(f"  API peak RSS per worker: {', '.join(f'{v:.0f} MB' for v in peaks.values())}")
    return [
        Figure(
            "Memory under load (VmHWM)",
            f"API, per worker ({len(peaks)} workers, uvicorn)",
            worst,
            "MB",
            better="lower",
            target="< 300 MB",
            met=worst < 300,
            note="peak over intake, map, nearest and positions",
        )
    ]


def server_matrix(ctx: Context) -> list[Figure]:
    """Intake throughput and p99 for each server and worker count (same data, same load)."""
    from bench.harness import login
    from bench.intake import measure

    figures = []
    results: dict[str, Any] = {}
    seconds = max(4.0, ctx.seconds * 0.6)
    for server, workers in [("uvicorn", 1), ("uvicorn", 2), ("granian", 1), ("granian", 2)]:
        key = f"{server}-{workers}"
        try:
            proc = start_api(
                ctx.dataset.url, ctx.data_dir, ctx.logs, server=server, workers=workers
            )
        except Exception as exc:  # granian may be missing; say so and go on
            ctx.log(f"  {key}: could not start ({type(exc).__name__}: {exc})")
            continue
        try:
            r = measure(ctx, proc, login(proc.base_url, "operator"), seconds)
            peaks = proc.peak_rss_mb()
        finally:
            proc.stop()
        results[key] = {**r.__dict__, "rate": r.rate, "peak_rss_mb": peaks}
        ctx.log(f"  intake, {key:10}: {r.summary()}")
    ctx.record["server_matrix"] = results
    base = results.get("uvicorn-1")
    for key, r in results.items():
        figures.append(
            Figure(
                "Servers: intake req/s by server and workers",
                key,
                r["rate"],
                "req/s",
                base["rate"] if base else None,
                "uvicorn, 1 worker",
                note=f"p99 {r['p99_ms']:.0f} ms; CPU {r['cpu_ms'] or 0:.1f} ms/request; peak RSS "
                + "/".join(f"{v:.0f}" for v in r["peak_rss_mb"].values())
                + " MB",
            )
        )
    return figures


def pool_sweep(ctx: Context) -> list[Figure]:
    """Intake req/s and p99 by connections per API process (no overflow), same load."""
    from bench.harness import login
    from bench.intake import measure

    seconds = max(4.0, ctx.seconds * 0.6)
    results: dict[int, Any] = {}
    for size in (2, 5, 10, 20):
        proc = start_api(
            ctx.dataset.url,
            ctx.data_dir,
            ctx.logs,
            workers=ctx.api_workers,
            db_pool_size=size,
            db_max_overflow=0,
        )
        try:
            r = measure(ctx, proc, login(proc.base_url, "operator"), seconds)
        finally:
            proc.stop()
        results[size] = {**r.__dict__, "rate": r.rate}
        ctx.log(f"  intake, pool {size:2}:    {r.summary()}")
    ctx.record["pool_sweep"] = results
    base = results.get(10)
    return [
        Figure(
            "Pool: intake req/s by TANGGAP_DB_POOL_SIZE (no overflow)",
            f"{size} connections per process",
            r["rate"],
            "req/s",
            base["rate"] if base else None,
            "10 per process (the default)",
            note=f"p99 {r['p99_ms']:.0f} ms, {ctx.api_workers} processes, "
            f"{ctx.connections} requests in flight",
        )
        for size, r in results.items()
    ]


def worker_phase(ctx: Context, sink: Sink) -> list[Figure]:
    """``tanggap worker`` drains the outbox the P1 intakes left: rate and peak RSS."""
    pending = asyncio.run(_pending(ctx.dataset.dsn))
    if pending == 0:
        ctx.log("  worker: no pending notifications to deliver")
        return []
    before = len(sink.times)
    proc = start_worker(
        ctx.dataset.url,
        ctx.data_dir,
        ctx.logs,
        push_allow_http=1,
        push_allowed_hosts="127.0.0.1",  # the local push service (public services only by default)
        log_level="WARNING",
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"worker exited:\n{proc.tail()}")
            if len(sink.times) - before >= pending:
                break
            time.sleep(0.2)
        peak = max((status_kb(p, "VmHWM") for p in proc.python_processes()), default=0) / 1024
    finally:
        proc.stop()
    got = sink.times[before:]
    rate = (len(got) - 1) / (got[-1] - got[0]) if len(got) > 1 and got[-1] > got[0] else 0.0
    ctx.record["worker"] = {"pending": pending, "delivered": len(got), "rate": rate, "rss": peak}
    ctx.log(f"  worker: {len(got)}/{pending} delivered, {rate:.0f}/s, peak RSS {peak:.0f} MB")
    return [
        Figure(
            "Memory under load (VmHWM)",
            "push worker (tanggap worker)",
            peak,
            "MB",
            better="lower",
            target="< 300 MB",
            met=peak < 300,
            note=f"while delivering {len(got)} queued P1 notifications at {rate:.0f}/s "
            "(to a sink that accepts every push)",
        )
    ]


def slow_statements(log: Path, offset: int = 0, top: int = 12) -> str:
    """The statements PostgreSQL logged as slow after ``offset`` (the measurements, not the
    load), grouped, slowest first."""
    groups: dict[str, list[float]] = {}
    with contextlib.suppress(OSError), open(log, "rb") as f:
        f.seek(offset)
        for line in f.read().decode(errors="replace").splitlines():
            m = re.search(r"duration: ([\d.]+) ms\s+(?:execute [^:]*|statement): (.*)", line)
            if m:
                groups.setdefault(m[2][:160], []).append(float(m[1]))
    rows = sorted(groups.items(), key=lambda kv: -max(kv[1]))[:top]
    if not rows:
        return ""
    lines = ["count  max ms  median ms  statement (first 160 characters)"]
    for sql, ms in rows:
        lines.append(f"{len(ms):5}  {max(ms):6.0f}  {statistics.median(ms):9.0f}  {sql}")
    return "PostgreSQL statements over 100 ms during the measurements:\n" + "\n".join(lines)


TABLE_LINE = re.compile(
    r"^\s*(?P<name>[A-Za-z][^|]*?)\s+(?P<value>-?\d+(?:\.\d+)?)\s+(?P<baseline>-?\d+(?:\.\d+)?)"
    r"\s+(?P<ratio>-?\d+(?:\.\d+)?)\s*$"
)


def parse_table(group: str, text: str) -> list[Figure]:
    """``name value baseline ratio`` lines, as bench/push_bench.py prints them."""
    out = []
    for line in text.splitlines():
        m = TABLE_LINE.match(line)
        if m:
            name = m["name"].strip()
            lower = any(w in name for w in ("ms", "latency", "KB", "bytes", "seconds"))
            out.append(
                Figure(
                    group,
                    name,
                    float(m["value"]),
                    "",
                    float(m["baseline"]),
                    "as printed by the bench",
                    "lower" if lower else "higher",
                )
            )
    return out


def other_bench(ctx: Context, name: str) -> tuple[list[Figure], str]:
    """Another engineer's bench: ``run()`` if it takes nothing, else ``python -m bench.name``."""
    module = importlib.import_module(f"bench.{name}")
    fn = getattr(module, "run", None)
    if callable(fn) and not inspect.signature(fn).parameters:
        result = fn()
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        figures = [f for f in (result or []) if isinstance(f, Figure)]
        return figures, "" if figures else repr(result)[:4000]
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", *OTHERS.get(name, [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=OTHER_TIMEOUT_S,
        check=False,
    )
    text = proc.stdout.strip()
    if proc.returncode not in (0, 1):
        text += f"\n(exit {proc.returncode})\n{proc.stderr[-3000:]}"
    figures = parse_table(name, text)
    if name == "pwa_budget":
        figures = pwa_figures()
    return figures, text


def pwa_figures() -> list[Figure]:
    """The first screen's bytes and, when Lighthouse ran, its median scores."""
    figures: list[Figure] = []
    with contextlib.suppress(OSError, ValueError, KeyError):
        result = json.loads((RESULTS / "pwa_budget.json").read_text())
        d = result["first_screen"]
        figures.append(
            Figure(
                "PWA budget: field officer's first screen",
                "JS + CSS, gzipped",
                float(d["js_css_gzip_kb"]),
                "KB",
                float(d["budget_kb"]),
                "budget",
                "lower",
                target=f"<= {d['budget_kb']} KB",
                met=float(d["js_css_gzip_kb"]) <= float(d["budget_kb"]),
                note=", ".join(f["file"].rsplit("/", 1)[-1] for f in d["files"]),
            )
        )
        lighthouse = result.get("lighthouse") or {}
        runs = lighthouse.get("all_runs") or []
        for category, minimum in (("performance", 90), ("accessibility", 95)):
            if category not in lighthouse.get("scores", {}):
                continue
            score = float(lighthouse["scores"][category])
            figures.append(
                Figure(
                    "PWA budget: field officer's first screen",
                    f"Lighthouse 11 mobile {category}, median of {len(runs)}",
                    score,
                    "score",
                    target=f">= {minimum}",
                    met=score >= minimum,
                    note="runs: " + ", ".join(str(r.get(category)) for r in runs),
                )
            )
    return figures


# ----------------------------------------------------------------- report
def fmt(x: float | None) -> str:
    if x is None:
        return ""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def markdown(meta: dict[str, Any], figures: list[Figure], texts: dict[str, str]) -> str:
    m = meta["machine"]
    lines = [
        "# Tanggap 112 benchmarks",
        "",
        f"Run {meta['started']} (UTC) in {meta['seconds']:.0f} s on {m['nproc']} cores, "
        f"{m['ram_gib']} GiB RAM ({m['cpu']}), Python {m['python']}.",
        f"Data: {meta['rows'].get('cases', 0):,} cases, {meta['rows'].get('teams', 0):,} teams, "
        f"{meta['rows'].get('case_events', 0):,} case events, "
        f"{meta['rows'].get('case_reporters', 0):,} reporters, generated and loaded in "
        f"{meta['load_seconds']:.0f} s. PostgreSQL with fsync on for every measurement.",
        f"API: `tanggap serve` (uvicorn, {meta['api_workers']} workers, pool "
        f"{meta['pool']}), log level INFO; load from wrk on the same machine "
        f"({meta['connections']} connections for writes, 1 for latency), "
        f"{meta['load_seconds_each']:.0f} s per measurement.",
        "Every ratio is value / baseline from this same run; absolute numbers drift between "
        "runs on a shared machine.",
        "",
    ]
    group = None
    for f in figures:
        if f.group != group:
            group = f.group
            lines += [
                "",
                f"## {group}",
                "",
                "| measure | value | baseline | ratio | target | met | note |",
                "|---|---:|---|---:|---|---|---|",
            ]
        base = f"{fmt(f.baseline)} ({f.baseline_name})" if f.baseline is not None else ""
        met = "" if f.met is None else ("yes" if f.met else "**no**")
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
        lines.append(
            f"| {f.name} | {fmt(f.value)} {f.unit} | {base} | {ratio} | {f.target} | {met} "
            f"| {f.note} |"
        )
    for name, text in texts.items():
        if text:
            title = name if " " in name else f"Output of bench/{name}.py"
            lines += ["", f"## {title}", "", "```", text.strip(), "```"]
    if meta.get("failures"):
        lines += ["", "## Failures", ""]
        lines += [f"- {k}: {v}" for k, v in meta["failures"].items()]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", type=int, default=1_000_000)
    p.add_argument("--teams", type=int, default=5_000)
    p.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--workers", type=int, default=2, help="API workers (TANGGAP_WORKERS)")
    p.add_argument("--quick", action="store_true", help="100k cases, 5 s per measurement")
    p.add_argument("--only", default="", help="comma-separated subset of benches")
    p.add_argument("--keep", action="store_true", help="leave the work folder (and its logs)")
    p.add_argument("--surge-seconds", type=float, default=60.0, help="the surge's full step")
    p.add_argument("--surge-k", default="", help="surge: these multiples only (e.g. 1,5)")
    args = p.parse_args()
    if args.quick:
        args.cases, args.seconds = min(args.cases, 100_000), min(args.seconds, 5.0)
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    def wanted(name: str) -> bool:
        return name in only if (only or name in OPT_IN) else True

    started_at = datetime.now(UTC)
    t0 = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="tanggap-bench-"))
    logs = work / "logs"
    figures: list[Figure] = []
    texts: dict[str, str] = {}
    failures: dict[str, str] = {}
    dataset: Dataset | None = None
    ctx: Context | None = None
    sink = Sink()

    def log(msg: str) -> None:
        print(f"[{time.monotonic() - t0:6.0f}s] {msg}", flush=True)

    try:
        log(f"Generating {args.cases:,} cases and {args.teams:,} teams in {work}")
        dataset = build(work, cases=args.cases, teams=args.teams, log=log)
        log(f"Loaded {dataset.rows} in {dataset.seconds:.0f} s; restarting with fsync on")
        dataset.restart(durable=True)
        pg_log = dataset.cluster.rundir / "postgres.log"
        log_offset = pg_log.stat().st_size if pg_log.exists() else 0
        asyncio.run(_dispatcher_devices(dataset.dsn, sink.port))
        ctx = Context(
            dataset,
            work,
            logs,
            work / "app",
            args.seconds,
            args.connections,
            args.workers,
            "uvicorn",
            log=log,
        )
        ctx.data_dir.mkdir(parents=True, exist_ok=True)
        mine = [m for m in MINE if wanted(m)]
        if mine:
            log(f"API: tanggap serve, uvicorn, {args.workers} workers")
            ctx.api = start_api(dataset.url, ctx.data_dir, logs, workers=args.workers)
            try:
                for name in mine:
                    log(f"{name}:")
                    try:
                        module = importlib.import_module(f"bench.{name}")
                        figures += module.run(ctx)
                    except Exception as exc:
                        failures[name] = f"{type(exc).__name__}: {exc}"
                        log(traceback.format_exc())
                figures += api_memory(ctx, ctx.api)
            finally:
                ctx.api.stop()
        if wanted("servers"):
            log("servers:")
            try:
                figures += server_matrix(ctx)
            except Exception as exc:
                failures["servers"] = f"{type(exc).__name__}: {exc}"
                log(traceback.format_exc())
        if wanted("pool"):
            log("pool:")
            try:
                figures += pool_sweep(ctx)
            except Exception as exc:
                failures["pool"] = f"{type(exc).__name__}: {exc}"
                log(traceback.format_exc())
        if wanted("worker"):
            log("worker:")
            try:
                figures += worker_phase(ctx, sink)
            except Exception as exc:
                failures["worker"] = f"{type(exc).__name__}: {exc}"
                log(traceback.format_exc())
        if wanted("surge"):  # bench/surge.py: the whole mix at once, and the largest k it holds
            log("surge:")
            try:
                from bench import surge

                ks = [float(x) for x in args.surge_k.split(",") if x.strip()] or None
                figures += surge.run(ctx, seconds=args.surge_seconds, quick=args.quick, ks=ks)
            except Exception as exc:
                failures["surge"] = f"{type(exc).__name__}: {exc}"
                log(traceback.format_exc())
        dataset.stop()
        texts["slow statements"] = slow_statements(pg_log, log_offset)
        for name in OTHERS:
            if not wanted(name) or not (ROOT / "bench" / f"{name}.py").exists():
                continue
            log(f"{name} (bench/{name}.py):")
            try:
                got, text = other_bench(ctx, name)
                figures += got
                texts[name] = text
                log(f"  {len(got)} figures")
            except Exception as exc:
                failures[name] = f"{type(exc).__name__}: {exc}"
                log(traceback.format_exc())
    finally:
        sink.close()
        if dataset is not None:
            dataset.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    total = time.monotonic() - t0
    meta = {
        "started": started_at.strftime("%Y-%m-%d %H:%M"),
        "seconds": total,
        "machine": machine(),
        "rows": dataset.rows if dataset else {},
        "load_seconds": dataset.seconds if dataset else 0,
        "load_seconds_each": args.seconds,
        "connections": args.connections,
        "api_workers": args.workers,
        "pool": "10+10 (TANGGAP_DB_POOL_SIZE / MAX_OVERFLOW defaults)",
        "failures": failures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(markdown(meta, figures, texts))
    (RESULTS / "latest.json").write_text(
        json.dumps(
            {
                "meta": meta,
                "figures": [f.as_dict() for f in figures],
                "raw": ctx.record if ctx else {},
            },
            indent=2,
            default=str,
        )
    )
    log(f"Done in {total:.0f} s: bench/results/latest.md")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
