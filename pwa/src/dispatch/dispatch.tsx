/**
 * The dispatch map (route /dispatch): every case in view as a marker coloured by priority and
 * labelled by status (overdue ones pulse), clustered on a grid when they crowd; the teams'
 * last positions with the age of each fix; filters; a side list in step with the map; live
 * updates from the event stream with no reload; a case drawer. Select a case, then click a team
 * on the map to (re)assign it. Coordinators see their agency only: the API scopes every answer.
 */
import "leaflet/dist/leaflet.css";
import "../operator/intake.css";
import "./dispatch.css";
import L from "leaflet";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { t } from "../lib/i18n";
import { createMap } from "../lib/map";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast } from "../shell/state";
import { PageTitle, priorityLabel, statusLabel, useLanguage } from "../shell/ui";
import { gridCluster } from "./cluster";
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

interface Named {
  id: number;
  code: string;
  name: string;
}

const DISPATCH_ROLES = ["dispatcher", "supervisor", "admin", "operator", "coordinator"];
const OPEN = "new,returned,reopened,dispatched,accepted,en_route,on_scene";
const STATUS_LETTER: Record<string, string> = {
  new: "B",
  returned: "K",
  reopened: "U",
  dispatched: "T",
  accepted: "D",
  en_route: "J",
  on_scene: "L",
  resolved: "S",
  closed: "X",
};

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
  useLanguage();
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
  const [agencies, setAgencies] = useState<Named[]>([]);
  const [categories, setCategories] = useState<Named[]>([]);
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
    void api
      .request<Named[]>("/api/agencies")
      .then(setAgencies)
      .catch(() => setAgencies([]));
    void api
      .request<Named[]>("/api/categories")
      .then(setCategories)
      .catch(() => setCategories([]));
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
        L.marker([lat, lon], {
          icon: L.divIcon({
            className: "",
            html: `<span class="${cls}" data-reference="${p.reference}" data-status="${p.status}">${STATUS_LETTER[p.status] ?? "?"}</span>`,
            iconSize: [30, 30],
          }),
          title: `${p.reference}: ${statusLabel(p.status)}, ${priorityLabel(p.priority)}`,
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
            iconSize: [38, 38],
          }),
          title: t("dispatch.cluster", { n: c.items.length }),
        })
          .on("click", () => m.fitBounds(bounds.pad(0.2)))
          .addTo(layer);
      }
    }
  }, [features, selected, view]);

  // Team markers with the age of their fix; a click assigns the selected case.
  const now = Date.now();
  useEffect(() => {
    const layer = teamLayer.current;
    if (!layer) return;
    layer.clearLayers();
    const byId = new Map(teams.map((tm) => [tm.id, tm]));
    for (const p of positions.values()) {
      const tm = byId.get(p.team_id);
      if (!tm) continue;
      const label = `${tm.name} (${fixAge(p.at, Date.now())})`;
      L.marker([p.lat, p.lon], {
        icon: L.divIcon({
          className: "",
          html: `<span class="team-marker" data-team="${tm.name}">${tm.name.replace(/^TRC\s*/, "").slice(0, 8)}</span>`,
          iconSize: [70, 24],
        }),
        title: label,
        alt: tm.name,
        zIndexOffset: 1000,
      })
        .on("click", () => void assignRef.current(tm))
        .addTo(layer);
    }
  }, [teams, positions]);

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
  const teamsWithFix = teams.filter((tm) => positions.has(tm.id));

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
            {agencies.map((a) => (
              <option key={a.id} value={a.id}>
                {a.code}
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
            {categories.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
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
          {teamsWithFix.length > 0 && (
            <ul class="plain-list team-fixes" aria-label={t("dispatch.teams")}>
              {teamsWithFix.map((tm) => (
                <li key={tm.id} data-testid="team-fix">
                  <strong>{tm.name}</strong>{" "}
                  <span class="muted">{fixAge(positions.get(tm.id)?.at ?? null, now)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        {selected ? (
          <CaseDrawer
            caseId={selected}
            agencies={agencies}
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
                    </span>{" "}
                    <strong>{f.properties.reference}</strong> · {statusLabel(f.properties.status)} ·{" "}
                    {f.properties.category}
                    {f.properties.overdue && (
                      <span class="badge overdue"> {t("tasks.overdue")}</span>
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
