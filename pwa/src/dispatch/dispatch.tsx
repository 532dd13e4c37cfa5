/**
 * The dispatch map (route /dispatch): every case in view as a marker coloured by priority, with
 * its priority written on it and a status symbol (overdue ones get a dashed red ring and pulse),
 * clustered on a grid when they crowd; on-duty teams' last positions with their full names in
 * labels placed so they overlap nothing, and the age of each fix; a legend for every marker kind;
 * filters; a side list in step with the map; live updates from the event stream with no reload; a
 * case drawer. Select a case, then click a team on the map to (re)assign it. Coordinators see
 * their agency only: the API scopes every answer. Names come from the catalogue
 * (`lib/reference.ts`) in the current language, never codes.
 */
import "leaflet/dist/leaflet.css";
import "../operator/intake.css";
import "./dispatch.css";
import L from "leaflet";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { t } from "../lib/i18n";
import { createMap } from "../lib/map";
import {
  agencyName,
  agencies as agencyRefs,
  categories,
  categoryName,
  useReference,
} from "../lib/reference";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast } from "../shell/state";
import { PageTitle, priorityLabel, statusLabel } from "../shell/ui";
import { type Box, gridCluster, nearCluster, placeLabels } from "./cluster";
import { type CaseDetailOut, CaseDrawer } from "./drawer";
import { openLive, type PositionLiveEvent } from "./live";

interface Feature {
  id: string;
  geometry: { coordinates: [number, number] };
  properties: {
    reference: string;
    status: string;
    priority: string;
    agency_id: number;
    team_id: number | null;
    category: string;
    overdue: boolean;
  };
}

interface TeamItem {
  id: number;
  agency_id: number;
  name: string;
  on_duty: boolean;
}

const DISPATCH_ROLES = ["dispatcher", "supervisor", "admin", "operator", "coordinator"];
const OPEN = "new,returned,reopened,dispatched,accepted,en_route,on_scene";
/** A symbol per status on the case markers; the legend names each one. */
const STATUS_SYMBOL: Record<string, string> = {
  new: "✱",
  returned: "↩",
  reopened: "↻",
  dispatched: "⇢",
  accepted: "✓",
  en_route: "»",
  on_scene: "⚑",
  resolved: "★",
  closed: "■",
};
const CASE_SIZE = 34;
const CLUSTER_SIZE = 40;
const TEAM_SIZE = 22;
// A team label's line height, plus its 2 px borders.
const LABEL_LINE = 20;

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

interface Filters {
  agency: string;
  category: string;
  status: string;
  priority: string;
  overdue: boolean;
}

function fixAge(at: string | null, now: number): string {
  if (!at) return t("intake.no_fix");
  const s = Math.max(0, Math.round((now - new Date(at).getTime()) / 1000));
  return s < 90
    ? t("intake.fix_seconds", { n: s })
    : t("intake.fix_minutes", { n: Math.round(s / 60) });
}

export function Dispatch() {
  const lang = useReference();
  const s = useStore(app);
  const role = s.session?.user.role ?? "";
  const config = s.config;
  const allowed = DISPATCH_ROLES.includes(role);

  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const caseLayer = useRef<L.LayerGroup | null>(null);
  const teamLayer = useRef<L.LayerGroup | null>(null);
  const [features, setFeatures] = useState<Feature[]>([]);
  const [view, setView] = useState(0);
  const [teams, setTeams] = useState<TeamItem[]>([]);
  const [positions, setPositions] = useState<Map<number, PositionLiveEvent>>(new Map());
  const [filters, setFilters] = useState<Filters>({
    agency: "",
    category: "",
    status: OPEN,
    priority: "",
    overdue: false,
  });
  const [selected, setSelected] = useState<string | null>(null);
  const [selectedDetail, setSelectedDetail] = useState<CaseDetailOut | null>(null);
  const [revision, setRevision] = useState(0);
  const [connected, setConnected] = useState(false);
  const [reload, setReload] = useState(0);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;

  const scheduleReload = () => {
    if (reloadTimer.current) clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => setReload((n) => n + 1), 300);
  };

  useEffect(() => {
    if (!allowed) return;
    void api
      .request<TeamItem[]>("/api/teams")
      .then(setTeams)
      .catch(() => setTeams([]));
  }, [allowed]);

  // The map, once.
  useEffect(() => {
    if (!allowed || !config || !el.current) return;
    const [lat, lon] = config.city.center;
    const m = createMap(el.current, {
      tileUrl: config.map.tile_url,
      attribution: config.map.attribution,
      maxZoom: config.map.max_zoom,
      center: [lat, lon],
      zoom: 13,
    });
    caseLayer.current = L.layerGroup().addTo(m);
    teamLayer.current = L.layerGroup().addTo(m);
    m.on("moveend", () => setView((n) => n + 1));
    map.current = m;
    setView((n) => n + 1);
    return () => {
      m.remove();
      map.current = null;
    };
  }, [allowed, config?.map.tile_url]);

  // Cases in view, with the filters.
  useEffect(() => {
    const m = map.current;
    if (!m) return;
    const b = m.getBounds();
    const q = new URLSearchParams({
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map((v) => v.toFixed(5))
        .join(","),
    });
    if (filters.status) q.set("status", filters.status);
    if (filters.agency) q.set("agency_id", filters.agency);
    if (filters.category) q.set("category_id", filters.category);
    if (filters.priority) q.set("priority", filters.priority);
    if (filters.overdue) q.set("overdue", "true");
    const ctl = new AbortController();
    api
      .request<{ features: Feature[] }>(`/api/cases.geojson?${q}`, { signal: ctl.signal })
      .then((fc) => setFeatures(fc.features))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [view, filters, reload]);

  // Live updates: reload the cases in view, refresh the open drawer, move teams.
  useEffect(() => {
    if (!allowed) return;
    return openLive({
      onCase(e) {
        scheduleReload();
        if (e.case_id === selectedRef.current) setRevision((n) => n + 1);
      },
      onPosition(p) {
        setPositions((prev) => new Map(prev).set(p.team_id, p));
      },
      onDuty(d) {
        // Off duty, a team leaves the map at once; on duty, its next ping brings it back.
        setTeams((prev) =>
          prev.map((tm) => (tm.id === d.team_id ? { ...tm, on_duty: d.on_duty } : tm)),
        );
        if (!d.on_duty) {
          setPositions((prev) => {
            const next = new Map(prev);
            next.delete(d.team_id);
            return next;
          });
        }
      },
      onResync: scheduleReload,
      onState: setConnected,
    });
  }, [allowed]);

  async function assignTo(team: TeamItem) {
    const d = selectedDetail;
    if (!d) return;
    try {
      await api.request(`/api/cases/${d.case.id}/assign`, {
        json: { team_id: team.id, version: d.case.version },
      });
      showToast("dispatch.assigned", { ref: d.case.reference, team: team.name });
      setRevision((n) => n + 1);
    } catch (err) {
      showToast("error.unknown", undefined, err instanceof ApiError ? err.detail : undefined);
    }
  }
  const assignRef = useRef(assignTo);
  assignRef.current = assignTo;

  // Case markers, clustered on a grid at the current zoom.
  useEffect(() => {
    const m = map.current;
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
          .on("click", () => setSelected(f.id))
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
  }, [features, selected, view, lang]);

  // Team markers (on duty only) with their full names in labels that overlap nothing; a click on
  // either assigns the selected case.
  const now = Date.now();
  const [unlabelled, setUnlabelled] = useState<number[]>([]);
  useEffect(() => {
    const m = map.current;
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
  }, [teams, positions, features, view, lang]);

  const list = useMemo(
    () =>
      [...features].sort(
        (a, b) =>
          a.properties.priority.localeCompare(b.properties.priority) ||
          Number(b.properties.overdue) - Number(a.properties.overdue) ||
          a.properties.reference.localeCompare(b.properties.reference),
      ),
    [features],
  );

  if (!allowed) {
    return (
      <section class="screen">
        <PageTitle>{t("dispatch.title")}</PageTitle>
        <p>{t("console.not_allowed_dispatch")}</p>
      </section>
    );
  }

  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));
  const teamsWithFix = teams.filter((tm) => tm.on_duty && positions.has(tm.id));
  const agencyOptions = agencyRefs();

  return (
    <section class="screen console dispatch" data-testid="dispatch">
      <div class="row between">
        <PageTitle>{t("dispatch.title")}</PageTitle>
        <span
          class={`pill ${connected ? "pill-online" : "pill-offline"}`}
          role="status"
          data-testid="live-status"
          data-connected={connected ? "1" : "0"}
        >
          {connected ? t("dispatch.live_on") : t("dispatch.live_off")}
        </span>
      </div>
      <form
        class="filters row wrap"
        aria-label={t("dispatch.filters")}
        onSubmit={(e) => e.preventDefault()}
      >
        <label class="field">
          <span>{t("dispatch.agency")}</span>
          <select
            value={filters.agency}
            onChange={(e) => set({ agency: (e.target as HTMLSelectElement).value })}
          >
            <option value="">{t("dispatch.all")}</option>
            {agencyOptions.map((a) => (
              <option key={a.id} value={a.id}>
                {agencyName(a.id)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t("dispatch.category")}</span>
          <select
            value={filters.category}
            onChange={(e) => set({ category: (e.target as HTMLSelectElement).value })}
          >
            <option value="">{t("dispatch.all")}</option>
            {categories().map((c) => (
              <option key={c.id} value={c.id}>
                {categoryName(c)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t("dispatch.status")}</span>
          <select
            value={filters.status}
            onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}
          >
            <option value={OPEN}>{t("dispatch.open")}</option>
            <option value="">{t("dispatch.all")}</option>
            {OPEN.split(",").map((st) => (
              <option key={st} value={st}>
                {statusLabel(st)}
              </option>
            ))}
          </select>
        </label>
        <label class="field">
          <span>{t("dispatch.priority")}</span>
          <select
            value={filters.priority}
            onChange={(e) => set({ priority: (e.target as HTMLSelectElement).value })}
          >
            <option value="">{t("dispatch.all")}</option>
            {["P1", "P2", "P3"].map((p) => (
              <option key={p} value={p}>
                {priorityLabel(p)}
              </option>
            ))}
          </select>
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={filters.overdue}
            onChange={(e) => set({ overdue: (e.target as HTMLInputElement).checked })}
          />
          <span>{t("dispatch.overdue_only")}</span>
        </label>
      </form>
      <div class="dispatch-grid">
        <section class="dispatch-map-wrap" aria-label={t("dispatch.map")}>
          <div ref={el} class="dispatch-map" data-testid="dispatch-map" />
          {selected && <p class="map-hint">{t("dispatch.pick_team_hint")}</p>}
          <MapLegend />
          {teamsWithFix.length > 0 && (
            <ul class="plain-list team-fixes" aria-label={t("dispatch.teams")}>
              {teamsWithFix.map((tm) => (
                <li key={tm.id} data-testid="team-fix" data-team={tm.name}>
                  <strong>{tm.name}</strong>{" "}
                  <span class="muted">{fixAge(positions.get(tm.id)?.at ?? null, now)}</span>
                  {unlabelled.includes(tm.id) && (
                    <span class="muted"> · {t("dispatch.label_hidden")}</span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </section>
        {selected ? (
          <CaseDrawer
            caseId={selected}
            agencies={agencyRefs().map((a) => ({ id: a.id, code: a.code, name: agencyName(a.id) }))}
            revision={revision}
            onClose={() => {
              setSelected(null);
              setSelectedDetail(null);
            }}
            onLoaded={setSelectedDetail}
          />
        ) : (
          <section class="side-list" aria-labelledby="list-h">
            <h2 id="list-h">{t("dispatch.in_view", { n: list.length })}</h2>
            <ul class="plain-list" data-testid="case-list">
              {list.map((f) => (
                <li key={f.id}>
                  <button
                    type="button"
                    class="case-row"
                    data-reference={f.properties.reference}
                    onClick={() => setSelected(f.id)}
                  >
                    <span class={`badge prio prio-${f.properties.priority}`}>
                      {f.properties.priority}
                    </span>
                    <span class="case-row-text">
                      <strong>{f.properties.reference}</strong> · {statusLabel(f.properties.status)}{" "}
                      · {categoryName({ code: f.properties.category })}
                    </span>
                    {f.properties.overdue && (
                      <span class="badge overdue">{t("tasks.overdue")}</span>
                    )}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )}
      </div>
    </section>
  );
}

/** The key to every marker kind on the map, drawn with the markers' own classes. */
function MapLegend() {
  return (
    <section class="map-legend" aria-labelledby="legend-h" data-testid="map-legend">
      <h2 id="legend-h">{t("dispatch.legend")}</h2>
      <ul class="plain-list legend-list">
        {["P1", "P2", "P3"].map((p) => (
          <li key={p}>
            <span class={`lg-case legend-mark prio-${p}`} aria-hidden="true">
              <span class="cm-prio">{p}</span>
            </span>
            {t("dispatch.legend_case", { priority: priorityLabel(p) })}
          </li>
        ))}
        <li>
          <span class="lg-case legend-mark prio-P3 overdue-static" aria-hidden="true">
            <span class="cm-prio">P3</span>
          </span>
          {t("dispatch.legend_overdue")}
        </li>
        <li>
          <span class="lg-cluster legend-mark" aria-hidden="true">
            5
          </span>
          {t("dispatch.legend_cluster")}
        </li>
        <li>
          <span class="lg-team legend-mark" aria-hidden="true" />
          <span class="lg-label legend-label" aria-hidden="true">
            {t("dispatch.legend_team_name")}
          </span>
          {t("dispatch.legend_team")}
        </li>
      </ul>
      <ul class="plain-list legend-list legend-status" aria-label={t("dispatch.legend_status")}>
        {Object.keys(STATUS_SYMBOL).map((st) => (
          <li key={st}>
            <span class="legend-symbol" aria-hidden="true">
              {STATUS_SYMBOL[st]}
            </span>
            {statusLabel(st)}
          </li>
        ))}
      </ul>
    </section>
  );
}
