/**
 * The one Leaflet set-up every map uses (intake, dispatch, field case, citizen report, hot spots):
 * the base tiles from /api/config, the city's own geography from /api/geography drawn under the
 * markers (kecamatan outlines and names, the service area), a legend word when the outlines are
 * approximate, and a notice when the base tiles cannot load. So no map is ever a blank grey box.
 *
 * Import it only from lazily loaded screens: Leaflet is never part of the first screen.
 */
import "leaflet/dist/leaflet.css";
import "./map.css";
import L from "leaflet";
import { type Key, onLanguageChange, t } from "./i18n";

export interface MapSetup {
  tileUrl: string;
  attribution: string;
  maxZoom: number;
  center?: [number, number];
  zoom?: number;
  /** Extra Leaflet options (scrollWheelZoom, dragging, ...). */
  options?: L.MapOptions;
}

interface AreaProperties {
  kind: "service_area" | "kecamatan" | "kelurahan";
  name?: string;
  approximate: boolean;
  label?: [number, number];
}
type Geography = GeoJSON.FeatureCollection<GeoJSON.Geometry, AreaProperties>;

// Under the overlays (400) and markers (600): the city is the background, never in the way.
const AREA_PANE = "tanggap-areas";
const LABEL_PANE = "tanggap-area-labels";

let geography: Promise<Geography> | null = null;

/** The city layer, fetched once per page; the browser revalidates it with its ETag. */
export function loadGeography(): Promise<Geography> {
  if (!geography) {
    geography = fetch("/api/geography", { headers: { Accept: "application/geo+json" } })
      .then((r) => {
        if (!r.ok) throw new Error(`geography: ${r.status}`);
        return r.json() as Promise<Geography>;
      })
      .catch((err: unknown) => {
        geography = null; // try again with the next map
        throw err;
      });
  }
  return geography;
}

function areaStyle(p: AreaProperties): L.PathOptions {
  if (p.kind === "service_area") {
    return { color: "#1f4e79", weight: 2.5, fill: false, interactive: false };
  }
  return {
    color: p.kind === "kelurahan" ? "#6b7280" : "#374151",
    weight: p.kind === "kelurahan" ? 1 : 1.5,
    opacity: 0.9,
    // Approximate cells are dashed: the legend says why.
    dashArray: p.approximate ? "6 5" : undefined,
    fillColor: "#e5e7eb",
    fillOpacity: p.kind === "kecamatan" ? 0.25 : 0,
    interactive: false,
  };
}

/** Draw the city's areas with their names; add a legend entry when some are approximate. */
export function drawGeography(map: L.Map, geo: Geography): void {
  L.geoJSON(geo, {
    pane: AREA_PANE,
    interactive: false,
    style: (f) => areaStyle(f?.properties as AreaProperties),
  }).addTo(map);
  const labels = L.layerGroup([], { pane: LABEL_PANE }).addTo(map);
  for (const f of geo.features) {
    const p = f.properties;
    if (!p.name || !p.label) continue;
    const label = document.createElement("span");
    label.className = `map-area-label map-area-label-${p.kind}`;
    label.textContent = p.name;
    L.marker(p.label, {
      pane: LABEL_PANE,
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: "map-area-label-anchor", html: label, iconSize: undefined }),
    }).addTo(labels);
  }
  if (geo.features.some((f) => f.properties.approximate)) {
    const legend = new L.Control({ position: "bottomleft" });
    legend.onAdd = () => {
      const box = L.DomUtil.create("div", "map-legend map-area-legend");
      box.dataset.testid = "map-area-legend";
      const swatch = L.DomUtil.create("span", "map-legend-dashed", box);
      swatch.setAttribute("aria-hidden", "true");
      const text = L.DomUtil.create("span", "", box);
      worded(text, "map.areas_approximate");
      return box;
    };
    legend.addTo(map);
  }
}

/** Give a map element its words, and remember the key so a language switch re-words it. */
function worded(el: HTMLElement, key: Key): void {
  el.dataset.words = key;
  el.textContent = t(key);
}

/** Mark a control button's title (and accessible name) for re-wording on a language switch. */
function titled(el: Element | null, key: Key): void {
  if (!(el instanceof HTMLElement)) return;
  el.dataset.title = key;
  el.title = t(key);
  el.setAttribute("aria-label", t(key));
}

/** Re-word everything the map itself drew (notice, legend, zoom buttons) in the current language. */
function reword(container: HTMLElement): void {
  for (const el of container.querySelectorAll<HTMLElement>("[data-words]")) {
    el.textContent = t(el.dataset.words as Key);
  }
  for (const el of container.querySelectorAll<HTMLElement>("[data-title]")) {
    el.title = t(el.dataset.title as Key);
    el.setAttribute("aria-label", el.title);
  }
}

/**
 * The notice over the map while base tiles fail (no network, tiles blocked): the map still shows
 * the city layer and the markers; the notice says why there are no streets.
 */
function tileNotice(map: L.Map, tiles: L.TileLayer): void {
  const notice = L.DomUtil.create("div", "map-notice", map.getContainer());
  notice.setAttribute("role", "status");
  notice.dataset.testid = "map-notice";
  notice.hidden = true;
  L.DomEvent.disableClickPropagation(notice);
  let failed = 0;
  tiles.on("loading", () => {
    failed = 0;
  });
  tiles.on("tileerror", () => {
    failed += 1;
    if (notice.hidden) {
      worded(notice, "map.tiles_unavailable");
      notice.hidden = false;
    }
  });
  tiles.on("load", () => {
    if (failed === 0) notice.hidden = true;
  });
}

/** Tell the service worker which tiles to keep for offline use (see `tileCacheRoute` in sw.ts). */
function shareTileUrl(tileUrl: string): void {
  if (!tileUrl.startsWith("http") || !("serviceWorker" in navigator)) return;
  const message = { type: "TILE_URL", url: tileUrl };
  navigator.serviceWorker.controller?.postMessage(message);
  // On the first visit the worker may still be installing: tell it once it is active.
  void navigator.serviceWorker.ready.then((reg) => reg.active?.postMessage(message));
}

/** The round marker every map uses for a case's place (red) or the officer's position (blue). */
export function pinMarker(at: L.LatLngExpression, radius = 12, fill = "#a3201b"): L.CircleMarker {
  return L.circleMarker(at, {
    radius,
    color: "#ffffff",
    weight: 3,
    fillColor: fill,
    fillOpacity: 1,
  });
}

/** How far off a reported position may be: a ring of `radius` metres (e.g. an AML fix's). */
export function accuracyCircle(at: L.LatLngExpression, radius: number): L.Circle {
  return L.circle(at, {
    radius,
    color: "#1f6feb",
    weight: 2,
    fillColor: "#1f6feb",
    fillOpacity: 0.12,
    interactive: false,
    className: "accuracy-circle",
  });
}

/** Create a map in `el` with the base tiles, the tile notice and the city's geography layer. */
export function createMap(el: HTMLElement, setup: MapSetup): L.Map {
  const map = L.map(el, { zoomControl: false, ...setup.options });
  if (setup.center) map.setView(setup.center, setup.zoom ?? 13);
  map.attributionControl.setPrefix(false);
  L.control.zoom({ zoomInTitle: t("map.zoom_in"), zoomOutTitle: t("map.zoom_out") }).addTo(map);
  titled(el.querySelector(".leaflet-control-zoom-in"), "map.zoom_in");
  titled(el.querySelector(".leaflet-control-zoom-out"), "map.zoom_out");
  map.createPane(AREA_PANE).style.zIndex = "350";
  const labelPane = map.createPane(LABEL_PANE);
  labelPane.style.zIndex = "380";
  labelPane.style.pointerEvents = "none";
  const tiles = L.tileLayer(setup.tileUrl, {
    maxZoom: setup.maxZoom,
    attribution: setup.attribution,
    // CORS tiles can be kept by the service worker without an opaque response's quota cost.
    crossOrigin: setup.tileUrl.startsWith("http") ? "anonymous" : false,
  });
  tileNotice(map, tiles);
  tiles.addTo(map);
  shareTileUrl(setup.tileUrl);
  let removed = false;
  // The map's own words follow the language switch, like the rest of the screen.
  const stopWording = onLanguageChange(() => reword(el));
  map.on("unload", () => {
    removed = true;
    stopWording();
  });
  void loadGeography()
    .then((geo) => {
      // The map may have been removed while the layer was on its way.
      if (!removed) drawGeography(map, geo);
    })
    .catch(() => undefined); // offline without a cached layer: the map shows tiles or the notice
  return map;
}
