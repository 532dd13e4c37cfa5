/**
 * The dashboard's headline cards: calls (for the roles that see them), cases created and
 * finished, overdue now, SLA compliance and the median time of each stage, each against the
 * previous period. A card that stands for cases links to the list of those cases.
 */
import type { ComponentChildren } from "preact";
import type { Schema } from "../lib/api-types";
import { type Key, t } from "../lib/i18n";
import { formatDuration } from "./charts";
import {
  type CallStats,
  type CaseStats,
  casesHref,
  delta,
  type ResponseTimes,
  type SlaStats,
  STAGES,
} from "./query";

type Count = Schema<"Count">;
type Share = Schema<"Share">;

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

function countChange(c: Count): string {
  return t("dash.change", { d: sign(c.value - c.previous), prev: c.previous });
}

export function pct(v: number | null): string {
  return v === null ? "—" : `${v}%`;
}

function shareChange(s: Share): string {
  const d = delta(s.value, s.previous);
  return d === null
    ? t("dash.change_none", { prev: pct(s.previous) })
    : t("dash.change_points", { d: sign(d), prev: pct(s.previous) });
}

/** A card with a figure of the period against the previous period's: a count, or a share. */
function PeriodKpi(
  p: { id: string; label: string; href?: string } & ({ count: Count } | { share: Share }),
) {
  const [value, raw, change] =
    "count" in p
      ? [String(p.count.value), p.count.value, countChange(p.count)]
      : [pct(p.share.value), p.share.value, shareChange(p.share)];
  return <Kpi id={p.id} label={p.label} value={value} raw={raw} change={change} href={p.href} />;
}

export function HeadlineCards(p: {
  calls: CallStats | null;
  cases: CaseStats;
  times: ResponseTimes;
  sla: SlaStats;
}) {
  const { calls, cases, times, sla } = p;
  const call = calls?.headline;
  const hc = cases.headline;
  const all = sla.overall.all;
  return (
    <>
      <h2 id="dash-headline">{t("dash.headline")}</h2>
      <ul class="kpis" aria-labelledby="dash-headline" data-testid="kpis">
        {call && (
          <>
            <PeriodKpi id="calls" label={t("dash.kpi_calls")} count={call.total} />
            <PeriodKpi
              id="valid-percent"
              label={t("dash.kpi_valid", { n: call.valid.value })}
              share={call.valid_percent}
            />
            <PeriodKpi
              id="prank-ghost"
              label={t("dash.kpi_prank_ghost", {
                prank: call.prank.value,
                ghost: call.ghost.value,
              })}
              count={call.prank_or_ghost}
            />
          </>
        )}
        <PeriodKpi
          id="created"
          label={t("dash.kpi_created")}
          count={hc.created}
          href={casesHref(cases.cases_filter)}
        />
        <PeriodKpi
          id="finished-percent"
          label={t("dash.kpi_finished", { n: hc.selesai.value })}
          share={hc.finished_percent}
          href={casesHref(cases.cases_filter, { status: cases.status_filters.selesai })}
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
          label={t("dash.kpi_sla", { met: all.met, missed: all.missed })}
          value={pct(all.compliance_percent)}
          raw={all.compliance_percent}
          change={t("dash.sla_pending", { n: all.pending })}
        />
        {STAGES.map((stage) => {
          const h = times.headline[stage];
          return (
            <Kpi
              key={stage}
              id={`median-${stage}`}
              label={t("dash.kpi_median", { stage: t(`dash.stage.${stage}` as Key) })}
              value={formatDuration(h?.median_s ?? null, h?.estimated)}
              raw={h?.median_s ?? null}
              change={t("dash.change_none", {
                prev: formatDuration(h?.previous_median_s ?? null, h?.previous_estimated),
              })}
              href={casesHref(cases.cases_filter)}
            />
          );
        })}
      </ul>
    </>
  );
}
