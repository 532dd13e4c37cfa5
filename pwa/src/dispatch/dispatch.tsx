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
import "../operator/intake.css";
import "./dispatch.css";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { t } from "../lib/i18n";
import { agencyName, agencies as agencyRefs, useReference } from "../lib/reference";
import { mayOpen } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast } from "../shell/state";
import { NotForRole, PageTitle } from "../shell/ui";
import { type TeamItem, useTeams } from "../ui/room-teams";
import { useWarnings, WarningBanner } from "../ui/warning-banner";
import { DispatchFilters, type Filters, filterQuery, NO_FILTERS } from "./dispatch-filters";
import { DispatchMap } from "./dispatch-map";
import { type CaseDetailOut, CaseDrawer } from "./drawer";
import { useIncomingCap } from "./incoming-cap";
import { openLive, type PositionLiveEvent } from "./live";
import { type CaseFeature, QueueList } from "./queue-list";

const NO_TEAMS: TeamItem[] = [];

/** Live updates: reload the cases in view, refresh the open drawer, move teams. */
function useLive(
  allowed: boolean,
  selected: string | null,
  setTeams: (fn: (prev: TeamItem[] | null) => TeamItem[] | null) => void,
) {
  const [positions, setPositions] = useState<Map<number, PositionLiveEvent>>(new Map());
  const [revision, setRevision] = useState(0);
  const [connected, setConnected] = useState(false);
  const [reload, setReload] = useState(0);
  // The newest case event applied: a reload asks for an answer that includes it.
  const lastEvent = useRef(0);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;

  const scheduleReload = () => {
    if (reloadTimer.current) clearTimeout(reloadTimer.current);
    reloadTimer.current = setTimeout(() => setReload((n) => n + 1), 300);
  };

  useEffect(() => {
    if (!allowed) return;
    return openLive({
      onCase(e) {
        lastEvent.current = Math.max(lastEvent.current, e.id);
        scheduleReload();
        if (e.case_id === selectedRef.current) setRevision((n) => n + 1);
      },
      onPosition(p) {
        setPositions((prev) => new Map(prev).set(p.team_id, p));
      },
      onDuty(d) {
        // Off duty, a team leaves the map at once; on duty, its next ping brings it back.
        setTeams((prev) =>
          (prev ?? []).map((tm) => (tm.id === d.team_id ? { ...tm, on_duty: d.on_duty } : tm)),
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
  return { positions, revision, setRevision, connected, reload, lastEvent };
}

/** The cases in the visible box that pass the filters. */
function useCases(bbox: string, filters: Filters, reload: number, lastEvent: { current: number }) {
  const [features, setFeatures] = useState<CaseFeature[]>([]);
  useEffect(() => {
    if (!bbox) return;
    const q = filterQuery(filters, new URLSearchParams({ bbox }));
    // Read off a replica that may lag: the answer must include the event that asked for it.
    if (lastEvent.current) q.set("after_event", String(lastEvent.current));
    const ctl = new AbortController();
    api
      .request<{ features: CaseFeature[] }>(`/api/cases.geojson?${q}`, { signal: ctl.signal })
      .then((fc) => setFeatures(fc.features))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [bbox, filters, reload]);
  return features;
}

export function Dispatch() {
  const lang = useReference();
  const warnings = useWarnings();
  const s = useStore(app);
  const config = s.config;
  const allowed = mayOpen(s.session?.user.role, "dispatch");
  const [teamList, setTeams] = useTeams(allowed);
  const teams = teamList ?? NO_TEAMS;
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [bbox, setBbox] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [selectedDetail, setSelectedDetail] = useState<CaseDetailOut | null>(null);
  const live = useLive(allowed, selected, setTeams);
  const incoming = useIncomingCap(allowed);
  const features = useCases(bbox, filters, live.reload, live.lastEvent);

  async function assignTo(team: TeamItem) {
    const d = selectedDetail;
    if (!d) return;
    try {
      await api.request(`/api/cases/${d.case.id}/assign`, {
        json: { team_id: team.id, version: d.case.version },
      });
      showToast("dispatch.assigned", { ref: d.case.reference, team: team.name });
      live.setRevision((n) => n + 1);
    } catch (err) {
      showToast("error.unknown", undefined, err instanceof ApiError ? err.detail : undefined);
    }
  }

  if (!allowed) {
    return <NotForRole title={t("dispatch.title")} body={t("console.not_allowed_dispatch")} />;
  }

  return (
    <section class="screen console dispatch" data-testid="dispatch">
      <div class="row between">
        <PageTitle>{t("dispatch.title")}</PageTitle>
        <span
          class={`pill ${live.connected ? "pill-online" : "pill-offline"}`}
          role="status"
          data-testid="live-status"
          data-connected={live.connected ? "1" : "0"}
        >
          {live.connected ? t("dispatch.live_on") : t("dispatch.live_off")}
        </span>
      </div>
      <WarningBanner warnings={warnings} />
      <DispatchFilters filters={filters} onChange={(p) => setFilters((f) => ({ ...f, ...p }))} />
      <div class="dispatch-grid">
        <DispatchMap
          config={config}
          features={features}
          teams={teams}
          positions={live.positions}
          warnings={warnings}
          incoming={incoming}
          selected={selected}
          lang={lang}
          onSelect={setSelected}
          onAssign={assignTo}
          onBounds={setBbox}
        />
        {selected ? (
          <CaseDrawer
            caseId={selected}
            agencies={agencyRefs().map((a) => ({ id: a.id, code: a.code, name: agencyName(a.id) }))}
            revision={live.revision}
            onClose={() => {
              setSelected(null);
              setSelectedDetail(null);
            }}
            onLoaded={setSelectedDetail}
          />
        ) : (
          <QueueList features={features} onSelect={setSelected} />
        )}
      </div>
    </section>
  );
}
