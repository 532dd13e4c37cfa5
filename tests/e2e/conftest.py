"""End-to-end fixtures: the real API (uvicorn, in a thread) on the test's own database, serving the
built PWA from ``pwa/dist``, and Debian's Chromium driven by Playwright as a Pixel 7.

Nothing is downloaded: Playwright launches ``/usr/bin/chromium`` (``make setup-test`` installs it),
and map tiles come from a blank PNG data URI, the way the tile URL setting allows.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from PIL import Image
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from api.app import create_app
from api.config import Settings
from api.services.calls import sign

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "pwa" / "dist"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Phones on 3G are slow; so are two shared cores running a browser, an API and PostgreSQL.
expect.set_options(timeout=10_000)


def _blank_tile() -> str:
    """A 256 px light-grey PNG as a data URI: every tile request is answered with no network."""
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (236, 239, 241)).save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


BLANK_TILE = _blank_tile()
# Near the demo case, in Kendari.
GEOLOCATION = {"latitude": -3.9705, "longitude": 122.5150, "accuracy": 15}
PASSWORD = "tanggap112"

# The push service cannot be reached from a headless browser; the app's own subscribe call is
# given a well-formed subscription instead (pushes are then delivered through CDP).
PUSH_STUB = """
(() => {
  if (!('PushManager' in self)) return;
  const b64 = (bytes) => btoa(String.fromCharCode(...bytes))
    .replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  // A real P-256 point (the curve's generator): the API refuses keys that are not on the curve.
  const hex = '046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'
    + '4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5';
  const key = new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
  const auth = new Uint8Array(16); for (let i = 0; i < 16; i++) auth[i] = 100 + i;
  const sub = {
    // The API takes push services only; the tests' server allows this local address.
    endpoint: 'http://127.0.0.1:9/send/e2e-' + Math.random().toString(36).slice(2),
    expirationTime: null,
    options: { userVisibleOnly: true },
    getKey: () => null,
    unsubscribe: async () => true,
  };
  sub.toJSON = () => ({ endpoint: sub.endpoint, expirationTime: null,
                        keys: { p256dh: b64(key), auth: b64(auth) } });
  let current = null;
  PushManager.prototype.subscribe = async function () { current = sub; return sub; };
  PushManager.prototype.getSubscription = async function () { return current; };
})();
"""


def require_build() -> None:
    if not (DIST / "index.html").is_file() or not (DIST / "sw.js").is_file():
        pytest.fail("The PWA is not built: run `make pwa` (the e2e tests use pwa/dist).")
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `make setup-test` (apt-get install chromium).")


@dataclass
class LiveServer:
    base_url: str
    settings: Settings


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@asynccontextmanager
async def serve(cfg: Settings, database_url: str) -> AsyncIterator[LiveServer]:
    """The API with these settings, serving the built PWA on 127.0.0.1 and a free port."""
    require_build()
    # The stubbed browser subscription's endpoint (PUSH_STUB): allowed explicitly.
    cfg = replace(cfg, push_allow_http=True, push_allowed_hosts=("127.0.0.1",))
    app = create_app(cfg, database_url=database_url)
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the API did not start"
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", cfg)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


@pytest_asyncio.fixture
async def live_server(database_url: str, settings: Settings) -> AsyncIterator[LiveServer]:
    """The API serving the built PWA, on this test's database, with blank data-URI tiles."""
    async with serve(replace(settings, pwa_dist=DIST, map_tile_url=BLANK_TILE), database_url) as s:
        yield s


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def playwright_instance() -> AsyncIterator[Any]:
    async with async_playwright() as p:
        yield p


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(playwright_instance: Any) -> AsyncIterator[Browser]:
    require_build()
    b = await playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield b
    await b.close()


def phone(playwright_instance: Any) -> dict[str, Any]:
    device = dict(playwright_instance.devices["Pixel 7"])
    device.pop("default_browser_type", None)
    return {
        **device,
        "geolocation": GEOLOCATION,
        "permissions": ["geolocation", "notifications"],
        "locale": "id-ID",
        "timezone_id": "Asia/Makassar",
    }


@pytest_asyncio.fixture
async def phone_context(
    browser: Browser, playwright_instance: Any, live_server: LiveServer
) -> AsyncIterator[BrowserContext]:
    ctx = await browser.new_context(**phone(playwright_instance), base_url=live_server.base_url)
    await ctx.add_init_script(PUSH_STUB)
    ctx.set_default_timeout(15_000)
    yield ctx
    await ctx.close()


Shot = Callable[[Page, str], Awaitable[None]]


@pytest.fixture
def shot() -> Shot:
    """Save a phone-size screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    async def take(page: Page, name: str) -> None:
        await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return take


async def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in from the staff sign-in page (`/` is the citizens' landing); the app then opens
    the role's own screen."""
    await page.goto("/login")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.locator("input[name=password]").fill(password)
    await page.get_by_role("button", name="Masuk").click()
    await expect(page.locator("#login-password")).to_have_count(0)


async def sw_controls(page: Page) -> None:
    """The service worker is active and controls the page (precache complete)."""
    await page.wait_for_function(
        "navigator.serviceWorker.ready.then(() => navigator.serviceWorker.controller !== null)"
    )


async def axe_serious(page: Page) -> list[dict[str, Any]]:
    """axe-core violations of serious or critical impact on the current screen."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    violations = results.response.get("violations", [])
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in violations
        if v.get("impact") in {"serious", "critical"}
    ]


async def check_axe(page: Page, screen: str, found: dict[str, Any]) -> None:
    """Collect the screen's serious or critical axe violations under its name."""
    violations = await axe_serious(page)
    if violations:
        found[screen] = violations


async def switch_language(page: Page, to: str) -> None:
    await page.locator("header button.pill-lang").click()
    await expect(page.locator("html")).to_have_attribute("lang", to)


async def staff_client(server: LiveServer, username: str) -> httpx.AsyncClient:
    """An API client signed in as a demo user (the caller closes it)."""
    c = httpx.AsyncClient(base_url=server.base_url, timeout=15)
    r = await c.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    r.raise_for_status()
    c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return c


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False)


async def desktop_page(
    browser: Browser, server: LiveServer, size: tuple[int, int] = (1440, 900)
) -> tuple[BrowserContext, Page, list[str]]:
    """A desktop page (1440x900 unless told) in Indonesian and the city's zone, push stubbed;
    the list collects the page's uncaught errors. The caller closes the context."""
    ctx = await browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        base_url=server.base_url,
        locale="id-ID",
        timezone_id="Asia/Makassar",
    )
    await ctx.add_init_script(PUSH_STUB)
    ctx.set_default_timeout(15_000)
    page = await ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return ctx, page, errors


JSON_TYPE = {"content-type": "application/json"}


async def pbx_send(server: LiveServer, c: httpx.AsyncClient, event: dict[str, Any]) -> None:
    """What the PBX sends: one signed call event to the webhook."""
    secret = (server.settings.data_dir / "pbx.secret").read_text().strip()
    body = json.dumps(event).encode()
    ts = str(int(time.time()))
    signed = {"X-Tanggap-Timestamp": ts, "X-Tanggap-Signature": sign(secret, ts, body)}
    r = await c.post("/api/pbx/events", content=body, headers=signed | JSON_TYPE)
    assert r.status_code < 300, r.text
