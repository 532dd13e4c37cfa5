/**
 * The supervisor's and coordinator's dashboard (`/dashboard`): headline numbers against the
 * previous period, charts, the per-agency table, the hot-spot map, exports and the monthly
 * report. Every number that stands for cases links to the list of those cases.
 * Loaded lazily from the shell: nothing here reaches the field officer's first screen.
 */
import "./dashboard.css";
import type { ComponentChildren, FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { type Key, t } from "../lib/i18n";
import { navigate } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import { PageTitle, useLanguage } from "../shell/ui";
import { CallsChart, formatDuration, TimesChart } from "./charts";
import { fetchReadiness, healthNotice, type Readiness } from "./health";
import type { HeatMapProps } from "./heatmap";
import {
  type CallStats,
  type CaseStats,
  casesHref,
  cityToday,
  delta,
  type Hotspots,
  lastDashboard,
  type PeriodKind,
  periodFor,
  type ResponseTimes,
  type SlaStats,
  STAGES,
  shiftPeriod,
  statsParams,
  withFilter,
  withPeriod,
} from "./query";

/** Readiness is read again this often while the dashboard is open. */
const HEALTH_POLL_MS = 30_000;

/** A banner when the worker, the queue or the database is not well; nothing when all is. */
function SystemHealth() {
  const [ready, setReady] = useState<Readiness | null>(null);
  useLanguage();
  useEffect(() => {
    let live = true;
    const read = () =>
      void fetchReadiness().then((r) => {
        if (live) setReady(r);
      });
    read();
    const timer = setInterval(read, HEALTH_POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const lines = healthNotice(ready);
  if (!lines.length) return null;
  return (
    <div class="banner banner-conflict system-health" role="status" data-testid="system-health">
      <strong>{t("health.title")}</strong>
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
    </div>
  );
}

/** Roles that see call figures (coordinators see their agency's cases only). */
const CALL_ROLES = new Set(["admin", "supervisor", "dispatcher"]);

interface Data {
  calls: CallStats | null;
  cases: CaseStats;
  times: ResponseTimes;
  sla: SlaStats;
  grid: Hotspots;
  areas: Hotspots;
}

interface Option {
  id: number;
  name: string;
}

let heatMap: FunctionComponent<HeatMapProps> | null = null;

function LazyHeatMap(props: HeatMapProps) {
  const [Comp, setComp] = useState(() => heatMap);
  useEffect(() => {
    if (Comp) return;
    void import("./heatmap").then((m) => {
      heatMap = m.default;
      setComp(() => m.default);
    });
  }, [Comp]);
  return Comp ? <Comp {...props} /> : <p class="loading">{t("app.loading")}</p>;
}

function sign(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

interface KpiProps {
  id: string;
  label: string;
  value: string;
  raw: number | null;
  change?: string;
  href?: string;
}

function Kpi({ id, label, value, raw, change, href }: KpiProps) {
  const body: ComponentChildren = (
    <>
      <span class="kpi-label">{label}</span>
      <strong class="kpi-value" data-testid={`kpi-${id}-value`} data-value={raw ?? ""}>
        {value}
      </strong>
      {change && <span class="kpi-change">{change}</span>}
    </>
  );
  return (
    <li>
      {href ? (
        <a class="kpi kpi-link" href={href} data-testid={`kpi-${id}`}>
          {body}
        </a>
      ) : (
        <div class="kpi" data-testid={`kpi-${id}`}>
          {body}
        </div>
      )}
    </li>
  );
}

function countChange(c: { value: number; previous: number }): string {
  return t("dash.change", { d: sign(c.value - c.previous), prev: c.previous });
}

function pct(v: number | null): string {
  return v === null ? "—" : `${v}%`;
}

function shareChange(s: { value: number | null; previous: number | null }): string {
  const d = delta(s.value, s.previous);
  return d === null
    ? t("dash.change_none", { prev: pct(s.previous) })
    : t("dash.change_points", { d: sign(d), prev: pct(s.previous) });
}

async function download(path: string, filename: string): Promise<void> {
  const r = await api.raw(path);
  if (!r.ok) throw new ApiError(r.status, "export_failed", r.statusText);
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function openReport(path: string): Promise<void> {
  // The report needs the bearer token, so it is fetched and opened as a page of its own.
  const win = window.open("", "_blank");
  const r = await api.raw(path);
  const html = await r.text();
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  if (win) win.location.href = url;
  else location.href = url;
}

export function Dashboard() {
  const s = useStore(app);
  const lang = useLanguage();
  const user = s.session?.user;
  const search = location.search;
  const params = statsParams(search);
  const qs = params.toString();
  lastDashboard.search = qs ? `?${qs}` : "";
  const withCalls = user ? CALL_ROLES.has(user.role) : false;
  const scoped = user?.role === "coordinator";
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [agencies, setAgencies] = useState<Option[]>([]);
  const [categories, setCategories] = useState<Option[]>([]);
  const [busy, setBusy] = useState(false);

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

  useEffect(() => {
    void api
      .request<Option[]>("/api/agencies")
      .then(setAgencies)
      .catch(() => {});
    void api
      .request<Option[]>("/api/categories")
      .then(setCategories)
      .catch(() => {});
  }, [lang]);

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

  const areaOptions: Option[] = (data?.areas.features ?? [])
    .filter((f) => f.properties.area_id != null)
    .map((f) => ({ id: f.properties.area_id as number, name: f.properties.name ?? "" }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const selectedArea = params.get("area_id");
  if (selectedArea && !areaOptions.some((a) => String(a.id) === selectedArea)) {
    areaOptions.push({ id: Number(selectedArea), name: `#${selectedArea}` });
  }

  return (
    <section class="screen dashboard" data-testid="dashboard" aria-busy={!data}>
      <PageTitle>{t("dash.title")}</PageTitle>
      <SystemHealth />
      {scoped && user.agency && <p>{t("home.agency", { agency: user.agency.name })}</p>}

      <form
        class="dash-filters"
        onSubmit={(e) => e.preventDefault()}
        aria-label={t("dash.filters")}
      >
        <fieldset class="period-picker">
          <legend class="visually-hidden">{t("dash.period")}</legend>
          <label>
            <span>{t("dash.period_kind")}</span>
            <select
              value={kind}
              data-testid="period-kind"
              onChange={(e) => pickKind((e.target as HTMLSelectElement).value as PeriodKind)}
            >
              <option value="day">{t("dash.kind_day")}</option>
              <option value="week">{t("dash.kind_week")}</option>
              <option value="month">{t("dash.kind_month")}</option>
            </select>
          </label>
          <button
            type="button"
            class="btn btn-secondary"
            onClick={() => step(-1)}
            data-testid="period-prev"
          >
            <span aria-hidden="true">‹ </span>
            {t("dash.previous")}
          </button>
          <output class="period-label" data-testid="period-label" aria-live="polite">
            {period
              ? period.from === period.to
                ? period.from
                : `${period.from} – ${period.to}`
              : "…"}
          </output>
          <button
            type="button"
            class="btn btn-secondary"
            onClick={() => step(1)}
            data-testid="period-next"
          >
            {t("dash.next")}
            <span aria-hidden="true"> ›</span>
          </button>
        </fieldset>
        <div class="filter-row">
          {!scoped && (
            <label>
              <span>{t("dash.agency")}</span>
              <select
                value={params.get("agency_id") ?? ""}
                data-testid="filter-agency"
                onChange={(e) =>
                  go(withFilter(params, "agency_id", (e.target as HTMLSelectElement).value))
                }
              >
                <option value="">{t("dash.all")}</option>
                {agencies.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            <span>{t("dash.category")}</span>
            <select
              value={params.get("category_id") ?? ""}
              data-testid="filter-category"
              onChange={(e) =>
                go(withFilter(params, "category_id", (e.target as HTMLSelectElement).value))
              }
            >
              <option value="">{t("dash.all")}</option>
              {categories.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span>{t("dash.district")}</span>
            <select
              value={selectedArea ?? ""}
              data-testid="filter-area"
              onChange={(e) =>
                go(withFilter(params, "area_id", (e.target as HTMLSelectElement).value))
              }
            >
              <option value="">{t("dash.all")}</option>
              {areaOptions.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      </form>

      {error && (
        <p class="banner banner-conflict" role="alert">
          {error}
        </p>
      )}
      {!data ? (
        !error && <p class="loading">{t("app.loading")}</p>
      ) : (
        <DashboardBody
          data={data}
          withCalls={withCalls}
          scoped={scoped}
          config={config}
          busy={busy}
          onCsv={(what) =>
            run(() =>
              download(
                what === "monthly"
                  ? `/api/exports/monthly.csv?${monthQs}`
                  : `/api/exports/${what}.csv${qs ? `?${qs}` : ""}`,
                `tanggap112-${what}-${what === "monthly" ? month : (period?.label ?? "period")}.csv`,
              ),
            )
          }
          onReport={() => run(() => openReport(`/api/reports/monthly?${monthQs}`))}
          month={month}
        />
      )}
    </section>
  );
}

interface BodyProps {
  data: Data;
  withCalls: boolean;
  scoped: boolean;
  config: ReturnType<typeof app.get>["config"];
  busy: boolean;
  month: string;
  onCsv: (what: "cases" | "calls" | "monthly") => void;
  onReport: () => void;
}

function DashboardBody({
  data,
  withCalls,
  scoped,
  config,
  busy,
  month,
  onCsv,
  onReport,
}: BodyProps) {
  const { calls, cases, times, sla } = data;
  const hc = cases.headline;
  const sf = cases.status_filters;
  const slaByAgency = new Map(sla.rows.map((r) => [String(r.key?.id), r]));
  const areaRows = data.areas.features.filter(
    (f) => f.properties.count > 0 && f.properties.area_id != null,
  );
  return (
    <>
      <h2 id="dash-headline">{t("dash.headline")}</h2>
      <ul class="kpis" aria-labelledby="dash-headline" data-testid="kpis">
        {withCalls && calls && (
          <>
            <Kpi
              id="calls"
              label={t("dash.kpi_calls")}
              value={String(calls.headline.total.value)}
              raw={calls.headline.total.value}
              change={countChange(calls.headline.total)}
            />
            <Kpi
              id="valid-percent"
              label={t("dash.kpi_valid", { n: calls.headline.valid.value })}
              value={pct(calls.headline.valid_percent.value)}
              raw={calls.headline.valid_percent.value}
              change={shareChange(calls.headline.valid_percent)}
            />
            <Kpi
              id="prank-ghost"
              label={t("dash.kpi_prank_ghost", {
                prank: calls.headline.prank.value,
                ghost: calls.headline.ghost.value,
              })}
              value={String(calls.headline.prank_or_ghost.value)}
              raw={calls.headline.prank_or_ghost.value}
              change={countChange(calls.headline.prank_or_ghost)}
            />
          </>
        )}
        <Kpi
          id="created"
          label={t("dash.kpi_created")}
          value={String(hc.created.value)}
          raw={hc.created.value}
          change={countChange(hc.created)}
          href={casesHref(cases.cases_filter)}
        />
        <Kpi
          id="finished-percent"
          label={t("dash.kpi_finished", { n: hc.selesai.value })}
          value={pct(hc.finished_percent.value)}
          raw={hc.finished_percent.value}
          change={shareChange(hc.finished_percent)}
          href={casesHref(cases.cases_filter, { status: sf.selesai })}
        />
        <Kpi
          id="overdue"
          label={t("dash.kpi_overdue")}
          value={String(hc.overdue_now)}
          raw={hc.overdue_now}
          change={t("dash.as_of_now")}
          href={casesHref(cases.overdue_filter)}
        />
        <Kpi
          id="sla"
          label={t("dash.kpi_sla", {
            met: sla.overall.all.met,
            missed: sla.overall.all.missed,
          })}
          value={pct(sla.overall.all.compliance_percent)}
          raw={sla.overall.all.compliance_percent}
          change={t("dash.sla_pending", { n: sla.overall.all.pending })}
        />
        {STAGES.map((stage) => {
          const h = times.headline[stage];
          return (
            <Kpi
              key={stage}
              id={`median-${stage}`}
              label={t("dash.kpi_median", { stage: t(`dash.stage.${stage}` as Key) })}
              value={formatDuration(h?.median_s ?? null)}
              raw={h?.median_s ?? null}
              change={t("dash.change_none", { prev: formatDuration(h?.previous_median_s ?? null) })}
              href={casesHref(cases.cases_filter)}
            />
          );
        })}
      </ul>

      <h2>{t("dash.charts")}</h2>
      <div class="charts">
        {withCalls && calls && <CallsChart calls={calls} />}
        <TimesChart times={times} />
      </div>

      <h2 id="dash-agencies">{scoped ? t("dash.agency_table_own") : t("dash.agency_table")}</h2>
      <div class="table-wrap">
        <table class="dash-table" data-testid="agency-table" aria-labelledby="dash-agencies">
          <thead>
            <tr>
              <th scope="col">{t("dash.agency")}</th>
              <th scope="col">{t("dash.col_created")}</th>
              <th scope="col">{t("dash.col_selesai")}</th>
              <th scope="col">{t("dash.col_proses")}</th>
              <th scope="col">{t("dash.col_belum")}</th>
              <th scope="col">{t("dash.col_finished")}</th>
              <th scope="col">{t("dash.col_sla")}</th>
              <th scope="col">{t("dash.col_overdue")}</th>
            </tr>
          </thead>
          <tbody>
            {cases.rows.length === 0 && (
              <tr>
                <td colSpan={8}>{t("dash.no_cases")}</td>
              </tr>
            )}
            {cases.rows.map((r) => {
              const slaRow = slaByAgency.get(String(r.key.id));
              const link = (n: number, status?: string) =>
                n ? <a href={casesHref(r.cases_filter, status ? { status } : {})}>{n}</a> : "0";
              return (
                <tr key={String(r.key.id)} data-testid={`agency-row-${r.key.code}`}>
                  <th scope="row">{r.key.name}</th>
                  <td>{link(r.created)}</td>
                  <td>{link(r.selesai, sf.selesai)}</td>
                  <td>{link(r.dalam_proses, sf.dalam_proses)}</td>
                  <td>{link(r.belum_ditindaklanjuti, sf.belum_ditindaklanjuti)}</td>
                  <td>{pct(r.finished_percent)}</td>
                  <td>{pct(slaRow?.all.compliance_percent ?? null)}</td>
                  <td>
                    {r.overdue_now ? (
                      <a href={casesHref({ ...cases.overdue_filter, agency_id: r.key.id ?? "" })}>
                        {r.overdue_now}
                      </a>
                    ) : (
                      "0"
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      <h2 id="dash-map">{t("dash.map")}</h2>
      {config ? (
        <LazyHeatMap
          hotspots={data.grid}
          filter={cases.cases_filter}
          tileUrl={config.map.tile_url}
          attribution={config.map.attribution}
          maxZoom={config.map.max_zoom}
          center={config.city.center}
          bbox={(config.city as { bbox?: [number, number, number, number] }).bbox ?? null}
        />
      ) : null}
      <div class="table-wrap">
        <table class="dash-table" data-testid="district-table">
          <caption>{t("dash.district_table")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("dash.district")}</th>
              <th scope="col">{t("dash.col_created")}</th>
            </tr>
          </thead>
          <tbody>
            {areaRows.length === 0 && (
              <tr>
                <td colSpan={2}>{t("dash.no_cases")}</td>
              </tr>
            )}
            {areaRows.map((f) => (
              <tr key={String(f.properties.area_id)}>
                <th scope="row">{f.properties.name ?? "—"}</th>
                <td>{f.properties.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>{t("dash.exports")}</h2>
      <ul class="link-list dash-exports">
        <li>
          <button
            type="button"
            class="link-card"
            disabled={busy}
            onClick={() => onCsv("cases")}
            data-testid="export-cases"
          >
            <strong>{t("dash.export_cases")}</strong>
            <span class="muted">{t("dash.export_hint")}</span>
          </button>
        </li>
        {withCalls && (
          <li>
            <button
              type="button"
              class="link-card"
              disabled={busy}
              onClick={() => onCsv("calls")}
              data-testid="export-calls"
            >
              <strong>{t("dash.export_calls")}</strong>
              <span class="muted">{t("dash.export_hint")}</span>
            </button>
          </li>
        )}
        <li>
          <button
            type="button"
            class="link-card"
            disabled={busy}
            onClick={() => onCsv("monthly")}
            data-testid="export-monthly"
          >
            <strong>{t("dash.export_monthly", { month })}</strong>
            <span class="muted">{t("dash.export_hint")}</span>
          </button>
        </li>
        <li>
          <button
            type="button"
            class="link-card"
            disabled={busy}
            onClick={onReport}
            data-testid="report-monthly"
          >
            <strong>{t("dash.report_monthly", { month })}</strong>
            <span class="muted">{t("dash.report_hint")}</span>
          </button>
        </li>
      </ul>
    </>
  );
}
