/**
 * The supervisor's and coordinator's dashboard (`/dashboard`): headline numbers against the
 * previous period, charts, the per-agency table, the hot-spot map, exports and the monthly
 * report. Every number that stands for cases links to the list of those cases.
 * Loaded lazily from the shell: nothing here reaches the field officer's first screen.
 */
import "./dashboard.css";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { navigate, type Role } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { lazyScreen } from "../shell/lazy";
import { app } from "../shell/state";
import { PageTitle, useLanguage } from "../shell/ui";
import type { FilterOption } from "../ui/filter-select";
import { ErrorBanner, Loading } from "../ui/room-table";
import { CallClock } from "./call-clock";
import { CallsChart, TimesChart } from "./charts";
import { type CsvKind, download, Exports, openReport } from "./dash-exports";
import { DashFilters } from "./dash-filters";
import { HeadlineCards } from "./dash-kpis";
import { AgencyTable, DistrictTable } from "./dash-tables";
import {
  type CallStats,
  type CaseStats,
  cityToday,
  type Hotspots,
  lastDashboard,
  type PeriodKind,
  periodFor,
  type ResponseTimes,
  type SlaStats,
  shiftPeriod,
  statsParams,
  withPeriod,
} from "./query";
import { SystemHealth } from "./system-health";

/** Roles that see call figures (coordinators see their agency's cases only). */
const CALL_ROLES: readonly string[] = ["admin", "supervisor", "dispatcher"] satisfies Role[];

interface Data {
  calls: CallStats | null;
  cases: CaseStats;
  times: ResponseTimes;
  sla: SlaStats;
  grid: Hotspots;
  areas: Hotspots;
}

const LazyHeatMap = lazyScreen(() => import("./heatmap").then((m) => m.default));

/** The districts with cases in the period, by name; a chosen one stays even when it has none. */
function areaOptions(areas: Hotspots | undefined, selected: string | null): FilterOption[] {
  const out = (areas?.features ?? [])
    .filter((f) => f.properties.area_id != null)
    .map((f) => ({ value: f.properties.area_id as number, label: f.properties.name ?? "" }))
    .sort((a, b) => a.label.localeCompare(b.label));
  if (selected && !out.some((a) => String(a.value) === selected)) {
    out.push({ value: Number(selected), label: `#${selected}` });
  }
  return out;
}

/** The period's figures, read again whenever the address or the language changes. */
function useDashboardData(qs: string, lang: string, withCalls: boolean) {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    const q = qs ? `?${qs}` : "";
    const amp = qs ? `&${qs}` : "";
    Promise.all([
      withCalls ? api.request<CallStats>(`/api/stats/calls${q}`) : Promise.resolve(null),
      api.request<CaseStats>(`/api/stats/cases${q}`),
      api.request<ResponseTimes>(`/api/stats/response-times${q}`),
      api.request<SlaStats>(`/api/stats/sla${q}`),
      api.request<Hotspots>(`/api/stats/hotspots?by=grid${amp}`),
      api.request<Hotspots>(`/api/stats/hotspots?by=area${amp}`),
    ])
      .then(([calls, cases, times, sla, grid, areas]) => {
        if (live) setData({ calls, cases, times, sla, grid, areas });
      })
      .catch((e: unknown) => {
        if (live) setError(e instanceof ApiError ? e.message : t("error.network"));
      });
    return () => {
      live = false;
    };
  }, [qs, lang, withCalls]);
  return { data, error, setError };
}

/** The agencies and categories to filter by, as select options. */
function useFilterLists(lang: string) {
  const [agencies, setAgencies] = useState<FilterOption[]>([]);
  const [categories, setCategories] = useState<FilterOption[]>([]);
  useEffect(() => {
    const options = (rows: { id: number; name: string }[]) =>
      rows.map((r) => ({ value: r.id, label: r.name }));
    void api
      .request<Schema<"AgencyItem">[]>("/api/agencies")
      .then((rows) => setAgencies(options(rows)))
      .catch(() => {});
    void api
      .request<Schema<"CategoryItem">[]>("/api/categories")
      .then((rows) => setCategories(options(rows)))
      .catch(() => {});
  }, [lang]);
  return { agencies, categories };
}

export function Dashboard() {
  const s = useStore(app);
  const lang = useLanguage();
  const user = s.session?.user;
  const params = statsParams(location.search);
  const qs = params.toString();
  lastDashboard.search = qs ? `?${qs}` : "";
  const withCalls = user ? CALL_ROLES.includes(user.role) : false;
  const scoped = user?.role === "coordinator";
  const { data, error, setError } = useDashboardData(qs, lang, withCalls);
  const lists = useFilterLists(lang);
  const [busy, setBusy] = useState(false);

  if (!user) return null;
  const config = s.config;
  const tz = config?.city.timezone ?? "Asia/Makassar";
  const period = data?.cases.period;
  const kind = (
    period?.kind === "day" || period?.kind === "week" ? period.kind : "month"
  ) as PeriodKind;
  const go = (next: string) => navigate(next ? `/dashboard?${next}` : "/dashboard");

  const pickKind = (k: PeriodKind) => {
    const today = cityToday(tz);
    const day =
      period && today >= period.from && today <= period.to ? today : (period?.from ?? today);
    const [pk, pv] = periodFor(k, day);
    go(withPeriod(params, pk, pv));
  };
  const step = (d: -1 | 1) => {
    if (!period) return;
    const [pk, pv] = shiftPeriod(kind, period.from, d);
    go(withPeriod(params, pk, pv));
  };
  const month = period ? period.from.slice(0, 7) : cityToday(tz).slice(0, 7);
  const monthQs = withPeriod(params, "month", month);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
    } catch {
      setError(t("dash.export_failed"));
    } finally {
      setBusy(false);
    }
  };
  const csv = (what: CsvKind) =>
    run(() =>
      download(
        what === "monthly"
          ? `/api/exports/monthly.csv?${monthQs}`
          : `/api/exports/${what}.csv${qs ? `?${qs}` : ""}`,
        `tanggap112-${what}-${what === "monthly" ? month : (period?.label ?? "period")}.csv`,
      ),
    );

  return (
    <section class="screen dashboard" data-testid="dashboard" aria-busy={!data}>
      <PageTitle>{t("dash.title")}</PageTitle>
      <SystemHealth />
      {scoped && user.agency && <p>{t("home.agency", { agency: user.agency.name })}</p>}
      <DashFilters
        params={params}
        kind={kind}
        period={period}
        scoped={scoped}
        lists={{ ...lists, areas: areaOptions(data?.areas, params.get("area_id")) }}
        go={go}
        onKind={pickKind}
        onStep={step}
      />
      <ErrorBanner error={error} />
      {!data ? (
        <Loading error={error} />
      ) : (
        <>
          <HeadlineCards
            calls={withCalls ? data.calls : null}
            cases={data.cases}
            times={data.times}
            sla={data.sla}
          />
          <h2>{t("dash.charts")}</h2>
          <div class="charts">
            {withCalls && data.calls && <CallsChart calls={data.calls} />}
            <TimesChart times={data.times} />
          </div>
          {withCalls && <CallClock qs={qs} lang={lang} />}
          <AgencyTable cases={data.cases} sla={data.sla} scoped={scoped} />
          <h2 id="dash-map">{t("dash.map")}</h2>
          {config ? (
            <LazyHeatMap
              hotspots={data.grid}
              filter={data.cases.cases_filter}
              tileUrl={config.map.tile_url}
              attribution={config.map.attribution}
              maxZoom={config.map.max_zoom}
              center={config.city.center}
              bbox={(config.city as { bbox?: [number, number, number, number] }).bbox ?? null}
            />
          ) : null}
          <DistrictTable areas={data.areas} />
          <Exports
            withCalls={withCalls}
            busy={busy}
            month={month}
            onCsv={(what) => void csv(what)}
            onReport={() => void run(() => openReport(`/api/reports/monthly?${monthQs}`))}
          />
        </>
      )}
    </section>
  );
}
