/**
 * The dispatch map's Leaflet part: the map itself, the case markers (coloured by priority, with
 * a status symbol; overdue ones get a dashed red ring and pulse) clustered on a grid when they
 * crowd, and the on-duty teams' last positions with their full names in labels placed so they
 * overlap nothing. A click on a case selects it; a click on a team assigns the selected case.
 */
import "leaflet/dist/leaflet.css";
import L from "leaflet";
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { categoryName } from "../lib/reference";
import type { AppConfig } from "../lib/types";
import { tileSetup, useMap } from "../lib/use-map";
import { priorityLabel, statusLabel } from "../shell/ui";
import type { TeamItem } from "../ui/room-teams";
import type { Warning } from "../ui/warning-banner";
import { type Box, gridCluster, nearCluster, placeLabels } from "./cluster";
import type { IncomingAlert } from "./incoming-cap";
import type { PositionLiveEvent } from "./live";
import { MapLegend, STATUS_SYMBOL } from "./map-legend";
import type { CaseFeature } from "./queue-list";
import { fixAge, TeamFixes } from "./team-list";
import { WarningLayers } from "./warning-layers";

const CASE_SIZE = 34;
const CLUSTER_SIZE = 40;
const TEAM_SIZE = 22;
// A team label's line height, plus its 2 px borders.
const LABEL_LINE = 20;
// The warning layers' outlines (the legend draws the same); the class names each area's path.
const CAP_AREA: L.GeoJSONOptions & L.PathOptions = {
  style: { color: "#c2410c", weight: 2, dashArray: "2 4", fillOpacity: 0.06 },
  className: "cap-area",
};
const WARNING_AREA: L.GeoJSONOptions & L.PathOptions = {
  style: { color: "#b91c1c", weight: 2, dashArray: "6 4", fillOpacity: 0.08 },
  className: "warning-area",
};

let measure: CanvasRenderingContext2D | null = null;
/** The pixel width of a team label, so it can be placed whole (never cut). */
function labelWidth(text: string): number {
  measure ??= document.createElement("canvas").getContext("2d");
  if (!measure) return text.length * 8 + 16;
  measure.font = `700 13px ${getComputedStyle(document.body).fontFamily}`;
  return Math.ceil(measure.measureText(text).width) + 16;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The map's visible box as the API's `bbox` parameter (west,south,east,north). */
function bboxOf(m: L.Map): string {
  const b = m.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
}

export interface DispatchMapProps {
  /** The city and tiles; the map waits for them. */
  config: AppConfig | null;
  features: CaseFeature[];
  teams: TeamItem[];
  positions: Map<number, PositionLiveEvent>;
  /** Area warnings in force: drawn under the markers, the headline as a tooltip. */
  warnings?: Warning[];
  /** Received CAP alerts (BMKG's, for one): under the city's warnings, headline as sent. */
  incoming?: IncomingAlert[];
  selected: string | null;
  lang: string;
  onSelect: (id: string) => void;
  onAssign: (team: TeamItem) => void | Promise<void>;
  /** The visible box changed (`bbox` parameter). */
  onBounds: (bbox: string) => void;
}

export function DispatchMap(props: DispatchMapProps) {
  const { config, features, teams, positions, selected, lang, onSelect, onBounds } = props;
  const [lat, lon] = config?.city.center ?? [0, 0];
  const { ref: el, map } = useMap(
    config ? tileSetup(config.map, { center: [lat, lon], zoom: 13 }) : null,
  );
  const caseLayer = useRef<L.LayerGroup | null>(null);
  const teamLayer = useRef<L.LayerGroup | null>(null);
  const warningLayer = useRef<L.LayerGroup | null>(null);
  const [unlabelled, setUnlabelled] = useState<number[]>([]);
  const [view, setView] = useState(0);
  const assignRef = useRef(props.onAssign);
  assignRef.current = props.onAssign;

  // The map's own layers, and the visible box reported upward whenever it moves.
  useEffect(() => {
    if (!map) return;
    warningLayer.current = L.layerGroup().addTo(map);
    caseLayer.current = L.layerGroup().addTo(map);
    teamLayer.current = L.layerGroup().addTo(map);
    const moved = () => {
      setView((n) => n + 1);
      onBounds(bboxOf(map));
    };
    map.on("moveend", moved);
    moved();
    return () => {
      map.off("moveend", moved);
      caseLayer.current = null;
      teamLayer.current = null;
      warningLayer.current = null;
    };
  }, [map]);

  // Received CAP alerts (dotted orange) under the area warnings in force (dashed red).
  useEffect(() => {
    const layer = warningLayer.current;
    if (!map || !layer) return;
    layer.clearLayers();
    for (const a of props.incoming ?? []) {
      if (!a.area) continue;
      L.geoJSON(a.area as unknown as GeoJSON.GeoJsonObject, CAP_AREA)
        .bindTooltip(esc(`${t("warning.cap_incoming", { sender: a.sender })}: ${a.headline}`))
        .addTo(layer);
    }
    for (const w of props.warnings ?? []) {
      const headline = lang === "en" ? w.headline_en : w.headline_id;
      L.geoJSON(w.area as unknown as GeoJSON.GeoJsonObject, WARNING_AREA)
        .bindTooltip(esc(`${t("warning.title")}: ${headline}`))
        .addTo(layer);
    }
  }, [map, props.warnings, props.incoming, lang]);

  // Case markers, clustered on a grid at the current zoom.
  useEffect(() => {
    const m = map;
    const layer = caseLayer.current;
    if (!m || !layer) return;
    layer.clearLayers();
    const projected = features.map((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const p = m.latLngToLayerPoint([lat, lon]);
      return { item: f, x: p.x, y: p.y };
    });
    for (const c of gridCluster(projected)) {
      if (c.items.length === 1) {
        const f = c.items[0];
        const p = f.properties;
        const [lon, lat] = f.geometry.coordinates;
        const cls = `case-marker prio-${p.priority}${p.overdue ? " overdue" : ""}${f.id === selected ? " selected" : ""}`;
        const words = [
          p.reference,
          priorityLabel(p.priority),
          statusLabel(p.status),
          categoryName({ code: p.category }),
          p.overdue ? t("tasks.overdue") : "",
        ].filter(Boolean);
        L.marker([lat, lon], {
          icon: L.divIcon({
            className: "",
            html: `<span class="${cls}" data-reference="${esc(p.reference)}" data-status="${esc(p.status)}"><span class="cm-prio">${esc(p.priority)}</span><span class="cm-status" aria-hidden="true">${STATUS_SYMBOL[p.status] ?? ""}</span></span>`,
            iconSize: [CASE_SIZE, CASE_SIZE],
          }),
          title: words.join(" · "),
          alt: p.reference,
        })
          .on("click", () => onSelect(f.id))
          .addTo(layer);
      } else {
        const pt = m.layerPointToLatLng([c.x, c.y]);
        const bounds = L.latLngBounds(
          c.items.map(
            (f) => [f.geometry.coordinates[1], f.geometry.coordinates[0]] as [number, number],
          ),
        );
        L.marker(pt, {
          icon: L.divIcon({
            className: "",
            html: `<span class="case-cluster" data-count="${c.items.length}">${c.items.length}</span>`,
            iconSize: [CLUSTER_SIZE, CLUSTER_SIZE],
          }),
          title: t("dispatch.cluster", { n: c.items.length }),
        })
          .on("click", () => m.fitBounds(bounds.pad(0.2)))
          .addTo(layer);
      }
    }
  }, [map, features, selected, view, lang]);

  // Team markers (on duty only) with their full names in labels that overlap nothing; a click on
  // either assigns the selected case.
  useEffect(() => {
    const m = map;
    const layer = teamLayer.current;
    if (!m || !layer) return;
    layer.clearLayers();
    const byId = new Map(teams.filter((tm) => tm.on_duty).map((tm) => [tm.id, tm]));
    const shown = [...positions.values()].filter((p) => byId.has(p.team_id));
    // Teams that stand together share one marker, its label naming them all.
    const groups = nearCluster(
      shown.map((p) => {
        const pt = m.latLngToLayerPoint([p.lat, p.lon]);
        return { item: p, x: pt.x, y: pt.y };
      }),
      TEAM_SIZE * 1.5,
    );
    // One team assigns the selected case; teams standing together zoom in to stand apart.
    const pick = (members: TeamItem[], at: L.LatLng) => {
      if (members.length === 1) void assignRef.current(members[0]);
      else m.setView(at, Math.min(m.getZoom() + 2, m.getMaxZoom()));
    };
    const obstacles: Box[] = [];
    const cases = gridCluster(
      features.map((f) => {
        const pt = m.latLngToLayerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
        return { item: f, x: pt.x, y: pt.y };
      }),
    );
    for (const c of cases) {
      const size = c.items.length > 1 ? CLUSTER_SIZE : CASE_SIZE;
      obstacles.push({ x: c.x - size / 2 - 2, y: c.y - size / 2 - 2, w: size + 4, h: size + 4 });
    }
    for (const g of groups) {
      obstacles.push({
        x: g.x - TEAM_SIZE / 2,
        y: g.y - TEAM_SIZE / 2,
        w: TEAM_SIZE,
        h: TEAM_SIZE,
      });
    }
    // Teams standing together get one label, a name per line.
    const requests = groups.map((g) => {
      const names = g.items.map((p) => byId.get(p.team_id)?.name ?? "");
      const w = Math.max(...names.map(labelWidth));
      return { item: { g, names }, x: g.x, y: g.y, w, h: LABEL_LINE * names.length + 4 };
    });
    const size = m.getSize();
    const origin = m.containerPointToLayerPoint([0, 0]);
    const { placed, hidden } = placeLabels(requests, obstacles, 14, {
      x: origin.x + 4,
      y: origin.y + 4,
      w: size.x - 8,
      h: size.y - 8,
    });
    for (const g of groups) {
      const members = g.items.map((p) => byId.get(p.team_id)).filter((tm) => tm !== undefined);
      const title = g.items
        .map((p) => `${byId.get(p.team_id)?.name} (${fixAge(p.at, Date.now())})`)
        .join(", ");
      const at = m.layerPointToLatLng([g.x, g.y]);
      L.marker(at, {
        icon: L.divIcon({
          className: "",
          html: `<span class="team-marker" data-team="${esc(members.map((tm) => tm.name).join(", "))}">${members.length > 1 ? members.length : ""}</span>`,
          iconSize: [TEAM_SIZE, TEAM_SIZE],
        }),
        title,
        alt: members.map((tm) => tm.name).join(", "),
        zIndexOffset: 1000,
      })
        .on("click", () => pick(members, at))
        .addTo(layer);
    }
    for (const { item, box } of placed) {
      const members = item.g.items.map((p) => byId.get(p.team_id)).filter((tm) => tm !== undefined);
      const pt = m.layerPointToLatLng([box.x, box.y]);
      L.marker(pt, {
        icon: L.divIcon({
          className: "",
          html: `<span class="team-label" data-team-label="${esc(item.names.join(", "))}" style="width:${box.w}px;height:${box.h}px">${item.names.map((n) => `<span>${esc(n)}</span>`).join("")}</span>`,
          iconSize: [box.w, box.h],
          iconAnchor: [0, 0],
        }),
        keyboard: false,
        zIndexOffset: 900,
      })
        .on("click", () => pick(members, m.layerPointToLatLng([item.g.x, item.g.y])))
        .addTo(layer);
    }
    setUnlabelled(hidden.flatMap((h) => h.g.items.map((p) => p.team_id)));
  }, [map, teams, positions, features, view, lang]);

  const now = Date.now();
  const teamsWithFix = teams.filter((tm) => tm.on_duty && positions.has(tm.id));
  return (
    <section class="dispatch-map-wrap" aria-label={t("dispatch.map")}>
      <div ref={el} class="dispatch-map" data-testid="dispatch-map" />
      {selected && <p class="map-hint">{t("dispatch.pick_team_hint")}</p>}
      <MapLegend />
      <WarningLayers warnings={props.warnings ?? []} incoming={props.incoming ?? []} lang={lang} />
      <TeamFixes teams={teamsWithFix} positions={positions} unlabelled={unlabelled} now={now} />
    </section>
  );
}
