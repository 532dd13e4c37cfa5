"""PWA budget: what the field officer's first screen costs, and Lighthouse (mobile) on it.

    uv run python -m bench.pwa_budget            # budget + Lighthouse 11 (via npx)
    uv run python -m bench.pwa_budget --no-lighthouse

It starts a throwaway PostGIS cluster, the seeded Kendari demo city with one case for
TRC DLHK 1, the API serving ``pwa/dist`` on 127.0.0.1, and Debian's Chromium. The officer signs
in once (the session lives in the browser profile's IndexedDB); then

1. the tasks screen is loaded again and every JavaScript and CSS file *the page* asked for is
   counted at its gzip size (the service worker's background precache is not part of it);
2. Lighthouse 11 with its default mobile settings (Moto G Power form factor, simulated slow
   4G, 4x CPU slowdown) audits the same screen, each run in a Chromium started for it on the
   same profile, as Lighthouse itself would launch one (``--disable-storage-reset`` keeps the
   session). The median of the runs (5 by default) is judged.

Budgets: JS + CSS <= 150 KB gzipped; performance >= 90; accessibility >= 95.
Results go to ``bench/results/pwa_budget.json``; the exit code says whether every budget held.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gzip
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "pwa" / "dist"
RESULTS = ROOT / "bench" / "results" / "pwa_budget.json"
CHROMIUM = "/usr/bin/chromium"
BUDGET_KB = 150.0
MIN_PERFORMANCE = 90
MIN_ACCESSIBILITY = 95


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _blank_tile() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (236, 239, 241)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


async def _prepare_database(url: str) -> None:
    from sqlalchemy import select

    from api.db import migrate
    from api.db.models import Team
    from api.db.session import make_engine, make_sessionmaker
    from api.seed import seed
    from tests.factories import category_by_code, make_case

    await asyncio.to_thread(migrate.upgrade, url)
    engine = make_engine(url, 1, 0)
    async with make_sessionmaker(engine)() as db, db.begin():
        await seed(db, demo_users=True)
    async with make_sessionmaker(engine)() as db, db.begin():
        team = (await db.execute(select(Team).where(Team.name == "TRC DLHK 1"))).scalar_one()
        # A realistic morning for one team: a dozen open cases.
        for code in ("POHON_TUMBANG", "SAMPAH_MENUMPUK", "SAMPAH_LIAR") * 4:
            await make_case(
                db,
                category=await category_by_code(db, code),
                team=team,
                status="dispatched",
                address="Jl. Ahmad Yani, Kadia",
                landmark="Depan Masjid Al-Kautsar",
            )
    await engine.dispose()


def _gzip_kb(path: Path) -> float:
    return len(gzip.compress(path.read_bytes(), 9)) / 1024


async def _first_screen(base: str, cdp_port: int) -> list[dict[str, Any]]:
    """Sign in through the UI, reload the tasks screen, list the JS/CSS the page loaded."""
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as p:
        browser = await p.chromium.connect_over_cdp(f"http://127.0.0.1:{cdp_port}")
        ctx = browser.contexts[0]
        page = await ctx.new_page()
        await page.goto(base + "/login")
        await page.get_by_label("Nama pengguna").fill("petugas.dlhk")
        await page.locator("input[name=password]").fill("tanggap112")
        await page.get_by_role("button", name="Masuk").click()
        await expect(page.get_by_test_id("task").first).to_be_visible(timeout=20_000)
        await page.wait_for_function(
            "navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)"
        )
        await page.reload()
        await expect(page.get_by_test_id("task").first).to_be_visible(timeout=20_000)
        urls: list[str] = await page.evaluate(
            """() => performance.getEntriesByType('resource').map(e => e.name)
                 .concat([...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href))"""
        )
        await page.close()
        await browser.close()  # disconnects; the Chromium process keeps running
    files: dict[str, dict[str, Any]] = {}
    for url in urls:
        path = urlsplit(url).path
        if not path.endswith((".js", ".css")) or path == "/sw.js":
            continue
        local = DIST / path.lstrip("/")
        if local.is_file() and path not in files:
            files[path] = {
                "file": path,
                "bytes": local.stat().st_size,
                "gzip_kb": round(_gzip_kb(local), 1),
            }
    return sorted(files.values(), key=lambda f: f["file"])


def _lighthouse(url: str, cdp_port: int, out: Path) -> dict[str, Any]:
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    cmd = [
        "npx",
        "--yes",
        "lighthouse@11",
        url,
        f"--port={cdp_port}",
        "--disable-storage-reset",
        "--form-factor=mobile",
        "--only-categories=performance,accessibility,best-practices,pwa",
        "--output=json",
        f"--output-path={out}",
        "--quiet",
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0 or not out.exists():
        return {"error": (proc.stderr or proc.stdout)[-2000:], "returncode": proc.returncode}
    report = json.loads(out.read_text())
    # Keep the full reports beside the other test artifacts (gitignored).
    keep = ROOT / "test-artifacts" / "lighthouse"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, keep / out.name)
    scores = {
        k: round((v.get("score") or 0) * 100) for k, v in report.get("categories", {}).items()
    }
    audits = report.get("audits", {})
    metrics = {
        k: audits[k].get("displayValue")
        for k in (
            "first-contentful-paint",
            "largest-contentful-paint",
            "total-blocking-time",
            "cumulative-layout-shift",
            "speed-index",
        )
        if k in audits
    }
    failing = [
        {"id": k, "title": a.get("title")}
        for k, a in audits.items()
        if a.get("score") is not None
        and a.get("score") < 1
        and a.get("scoreDisplayMode") == "binary"
    ]

    def top(audit: str, key: str) -> list[Any]:
        items = audits.get(audit, {}).get("details", {}).get("items", [])
        return [{k: i.get(k) for k in (key, "total", "scripting", "duration")} for i in items[:6]]

    return {
        "lighthouse_version": report.get("lighthouseVersion"),
        "benchmark_index": report.get("environment", {}).get("benchmarkIndex"),
        "bootup": top("bootup-time", "url"),
        "main_thread": top("mainthread-work-breakdown", "groupLabel"),
        "long_tasks": top("long-tasks", "url"),
        "final_url": report.get("finalDisplayedUrl") or report.get("finalUrl"),
        "scores": scores,
        "metrics": metrics,
        "failing_binary_audits": failing[:20],
        "seconds": round(time.monotonic() - started, 1),
    }


def _start_chromium(profile: Path) -> tuple[int, subprocess.Popen[bytes]]:
    """Debian's Chromium, headless, on ``profile``; answers CDP on the returned port."""
    cdp_port = _free_port()
    chromium = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            f"--remote-debugging-port={cdp_port}",
            f"--user-data-dir={profile}",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", cdp_port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return cdp_port, chromium


def _stop_chromium(chromium: subprocess.Popen[bytes]) -> None:
    chromium.terminate()
    try:
        chromium.wait(10)
    except subprocess.TimeoutExpired:
        chromium.kill()
        chromium.wait(10)


def _lighthouse_cold(url: str, profile: Path, out: Path) -> dict[str, Any]:
    """One Lighthouse run in a Chromium started for it, on the signed-in profile.

    Lighthouse normally launches a fresh browser per run. Reusing one long-lived browser made
    every run after the first land in a renderer process kept alive by the service worker, whose
    old heap Lighthouse's coverage instrumentation walks at navigation start: a 75-130 ms task
    that is not the app's and that the 4x simulation turns into 300-500 ms of blocking time.
    """
    cdp_port, chromium = _start_chromium(profile)
    try:
        return _lighthouse(url, cdp_port, out)
    finally:
        _stop_chromium(chromium)


def _median_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Scores move between runs on a shared machine: keep every run, judge the median."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return runs[-1]
    out = dict(good[len(good) // 2])
    out["scores"] = {
        k: int(statistics.median(r["scores"].get(k, 0) for r in good)) for k in good[0]["scores"]
    }
    out["all_runs"] = [r["scores"] for r in good]
    indexes = [r["benchmark_index"] for r in good if r.get("benchmark_index")]
    out["benchmark_indexes"] = indexes
    out["benchmark_index_median"] = statistics.median(indexes) if indexes else None
    return out


def run(with_lighthouse: bool, lighthouse_runs: int = 5) -> int:
    import uvicorn

    from api.adapters.pgcluster import EmbeddedPostgres
    from api.app import create_app
    from api.config import Settings

    if not (DIST / "index.html").is_file():
        print("pwa/dist is missing: run `make pwa` first", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="tanggap-pwa-budget-"))
    cluster = EmbeddedPostgres(work / "pg", durable=False, database="postgres")
    chromium: subprocess.Popen[bytes] | None = None
    server: uvicorn.Server | None = None
    thread: threading.Thread | None = None
    try:
        cluster.start()
        subprocess.run(
            ["psql", cluster.dsn("postgres"), "-qc", "CREATE DATABASE budget"],
            check=True,
            capture_output=True,
        )
        url = cluster.url.rsplit("/", 1)[0] + "/budget"
        asyncio.run(_prepare_database(url))
        settings = Settings(
            data_dir=work / "data",
            jwt_secret="budget-" + "x" * 40,
            log_level="WARNING",
            pwa_dist=DIST,
            map_tile_url=_blank_tile(),
        )
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings, database_url=url),
                host="127.0.0.1",
                port=port,
                log_level="warning",
            )
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"

        profile = work / "profile"
        cdp_port, chromium = _start_chromium(profile)

        files = asyncio.run(_first_screen(base, cdp_port))
        # The session is on disk in the profile now; each Lighthouse run starts its own browser.
        _stop_chromium(chromium)
        chromium = None
        total = round(sum(f["gzip_kb"] for f in files), 1)
        result: dict[str, Any] = {
            "first_screen": {"files": files, "js_css_gzip_kb": total, "budget_kb": BUDGET_KB},
        }
        ok = total <= BUDGET_KB
        if with_lighthouse:
            lighthouse = _median_runs(
                [
                    _lighthouse_cold(base + "/tasks", profile, work / f"lighthouse-{i}.json")
                    for i in range(lighthouse_runs)
                ]
            )
            result["lighthouse"] = lighthouse
            scores = lighthouse.get("scores", {})
            ok = (
                ok
                and "error" not in lighthouse
                and scores.get("performance", 0) >= MIN_PERFORMANCE
                and scores.get("accessibility", 0) >= MIN_ACCESSIBILITY
            )
        result["ok"] = ok
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))

        print("## PWA budget: field officer's first screen (/tasks)\n")
        print("| file | bytes | gzip KB |\n|---|---:|---:|")
        for f in files:
            print(f"| {f['file']} | {f['bytes']} | {f['gzip_kb']} |")
        print(f"\nJS + CSS: **{total} KB gzipped** (budget {BUDGET_KB} KB)")
        if with_lighthouse:
            lh = result["lighthouse"]
            if "error" in lh:
                print(f"\nLighthouse failed to run:\n{lh['error']}")
            else:
                print(
                    f"\nLighthouse {lh['lighthouse_version']} (mobile, default 4x CPU slowdown, "
                    f"simulated slow 4G) on {lh['final_url']}; benchmark index "
                    f"{lh.get('benchmark_indexes')}; median of {len(lh['all_runs'])} runs:"
                )
                print(
                    "- performance of each run: "
                    + ", ".join(str(r.get("performance")) for r in lh["all_runs"])
                )
                for k, v in lh["scores"].items():
                    print(f"- {k}: {v}")
                for k, v in lh["metrics"].items():
                    print(f"- {k}: {v}")
                failing = ", ".join(a["id"] for a in lh["failing_binary_audits"])
                if failing:
                    print(f"- failing audits: {failing}")
        print(f"\n{'OK' if ok else 'OVER BUDGET'} (details in {RESULTS.relative_to(ROOT)})")
        return 0 if ok else 1
    finally:
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(10)
        if chromium is not None:
            _stop_chromium(chromium)
        cluster.stop("immediate")
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-lighthouse", action="store_true", help="only the byte budget")
    parser.add_argument("--runs", type=int, default=5, help="Lighthouse runs (median judged)")
    args = parser.parse_args()
    return run(with_lighthouse=not args.no_lighthouse, lighthouse_runs=max(1, args.runs))


if __name__ == "__main__":
    raise SystemExit(main())
