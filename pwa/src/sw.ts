/// <reference lib="webworker" />
/**
 * The service worker: precached app shell (works with no signal, deep links included), the
 * outbox flushed by Background Sync, photos fetched with the officer's token and kept for
 * offline reading, and Web Push notifications that open the case.
 */
import { clientsClaim } from "workbox-core";
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from "workbox-precaching";
import { NavigationRoute, registerRoute } from "workbox-routing";
import { Api } from "./lib/api";
import { kvGet, kvSet } from "./lib/db";
import { PHOTO_CACHE } from "./lib/forget";
import { flush } from "./lib/outbox";
import { idbSessionStore } from "./lib/session";
import { TILE_CACHE, TileLru, tilePattern } from "./lib/tile-cache";

declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: Array<{ url: string; revision: string | null } | string>;
};

let language = "id";
const api = new Api({ store: idbSessionStore, language: () => language });

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Every app URL (/, /tasks, /cases/...) is the same shell; the API is never answered from here.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL("/index.html"), {
    denylist: [/^\/api\//, /^\/schema/, /^\/health/, /^\/open311\//],
  }),
);

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") void self.skipWaiting();
  if (event.data?.type === "FLUSH") event.waitUntil(flushOutbox());
});

// First install: take charge of the open page at once, so it works offline from the first visit.
// Later versions wait until the officer taps "reload" (the update prompt).
clientsClaim();

// --- photos: the API wants a bearer token, an <img> cannot send one ---------------------------
// PHOTO_CACHE is emptied whenever a session ends (lib/forget.ts).
const PHOTO_CACHE_MAX = 400;

async function trim(cache: Cache): Promise<void> {
  const keys = await cache.keys();
  for (const key of keys.slice(0, Math.max(0, keys.length - PHOTO_CACHE_MAX)))
    await cache.delete(key);
}

registerRoute(
  ({ url, request }) =>
    url.origin === self.location.origin &&
    url.pathname.startsWith("/api/photos/") &&
    request.method === "GET",
  async ({ request, url }) => {
    const cache = await caches.open(PHOTO_CACHE);
    const hit = await cache.match(request.url);
    if (hit) return hit; // a photo's bytes never change
    try {
      const res = await api.raw(url.pathname + url.search, { headers: { Accept: "image/*" } });
      await cache.put(request.url, res.clone());
      void trim(cache);
      return res;
    } catch {
      return new Response(null, { status: 504, statusText: "offline" });
    }
  },
);

// --- map tiles and the city layer, kept for offline maps ----------------------------------------
// Every map posts its tile URL template (the TANGGAP_MAP_TILE_URL setting) when it opens; it is
// remembered in IndexedDB so a restarted worker still knows it with no signal.
const tiles = new TileLru(() => caches.open(TILE_CACHE));
let tileMatcher: RegExp | null = null;
const tileTemplateReady = kvGet<string>("tile_url").then((url) => {
  if (url) tileMatcher = tilePattern(url);
});

function tileCacheMessages(event: ExtendableMessageEvent): void {
  if (event.data?.type !== "TILE_URL" || typeof event.data.url !== "string") return;
  tileMatcher = tilePattern(event.data.url);
  event.waitUntil(kvSet("tile_url", event.data.url));
}
self.addEventListener("message", tileCacheMessages);

registerRoute(
  ({ url, request }) => request.method === "GET" && !!tileMatcher?.test(url.href),
  async ({ request }) => {
    await tileTemplateReady;
    try {
      return await tiles.get(request.url, () => fetch(request));
    } catch {
      return Response.error(); // the map shows its "base map unavailable" notice
    }
  },
);

// The city layer: fresh when online, the last copy when not.
const GEOGRAPHY_CACHE = "tanggap-geography-v1";
registerRoute(
  ({ url, request }) =>
    url.origin === self.location.origin &&
    url.pathname === "/api/geography" &&
    request.method === "GET",
  async ({ request }) => {
    const cache = await caches.open(GEOGRAPHY_CACHE);
    try {
      const res = await fetch(request);
      if (res.status === 200) await cache.put(request.url, res.clone());
      if (res.status !== 304) return res;
    } catch {
      // offline: fall through to the copy
    }
    return (await cache.match(request.url)) ?? Response.error();
  },
);

// --- outbox: Background Sync -----------------------------------------------------------------
async function flushOutbox(): Promise<void> {
  language = (await kvGet<string>("lang")) ?? language;
  const result = await flush(api);
  for (const client of await self.clients.matchAll({ type: "window" })) {
    client.postMessage({ type: "outbox-changed" });
  }
  // Throwing asks the browser to try this sync again later, with its own back-off.
  if (result.outcome === "offline" || result.outcome === "retry_later") {
    throw new Error(`outbox: ${result.outcome}`);
  }
}

self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") event.waitUntil(flushOutbox());
});

// --- push --------------------------------------------------------------------------------------
interface PushPayload {
  title?: string;
  body?: string;
  url?: string;
  reference?: string;
  priority?: string;
  case_id?: string;
  language?: string;
}

function notificationFor(p: PushPayload): { title: string; options: NotificationOptions } {
  const head = [p.priority, p.reference].filter(Boolean).join(" · ");
  const title = [head, p.title].filter(Boolean).join(" — ") || "Tanggap 112";
  const url = p.url || (p.case_id ? `/cases/${p.case_id}` : "/");
  const urgent = p.priority === "P1";
  const options: NotificationOptions & { renotify?: boolean; vibrate?: number[] } = {
    body: p.body ?? "",
    tag: p.case_id || p.reference || undefined,
    renotify: Boolean(p.case_id || p.reference),
    requireInteraction: urgent, // a P1 stays on screen until the officer acts
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
    lang: p.language,
    vibrate: urgent ? [400, 150, 400, 150, 400] : [200],
    data: { url, case_id: p.case_id, reference: p.reference, priority: p.priority },
  };
  return { title, options };
}

self.addEventListener("push", (event) => {
  let payload: PushPayload = {};
  try {
    payload = (event.data?.json() as PushPayload) ?? {};
  } catch {
    payload = { body: event.data?.text() };
  }
  const { title, options } = notificationFor(payload);
  event.waitUntil(self.registration.showNotification(title, options));
});

async function openUrl(url: string): Promise<void> {
  const target = new URL(url, self.location.origin);
  if (target.origin !== self.location.origin) return;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const client = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (client) {
    // The page routes in place (no reload, outbox untouched), then comes to the front.
    client.postMessage({ type: "open", url: target.pathname + target.search });
    await client.focus().catch(() => undefined);
    return;
  }
  await self.clients.openWindow(target.href);
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const done = openUrl((event.notification.data as { url?: string } | null)?.url ?? "/");
  try {
    event.waitUntil(done);
  } catch {
    // Dispatched by script (tests): nothing to extend.
  }
});
