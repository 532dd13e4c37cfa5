/**
 * The dashboard's tables: cases and SLA compliance per agency (each count links to its cases),
 * and cases per district.
 */
import { t } from "../lib/i18n";
import { HeadRow } from "../ui/room-table";
import { pct } from "./dash-kpis";
import { type CaseRow, type CaseStats, casesHref, type Hotspots, type SlaStats } from "./query";

/** A count that links to its cases, or a plain "0". */
function CountLink({ n, href }: { n: number; href: string }) {
  return n ? <a href={href}>{n}</a> : <>0</>;
}

function AgencyRow(p: { row: CaseRow; cases: CaseStats; compliance: number | null }) {
  const { row: r, cases } = p;
  const sf = cases.status_filters;
  const href = (status?: string) => casesHref(r.cases_filter, status ? { status } : {});
  return (
    <tr data-testid={`agency-row-${r.key.code}`}>
      <th scope="row">{r.key.name}</th>
      <td>
        <CountLink n={r.created} href={href()} />
      </td>
      <td>
        <CountLink n={r.selesai} href={href(sf.selesai)} />
      </td>
      <td>
        <CountLink n={r.dalam_proses} href={href(sf.dalam_proses)} />
      </td>
      <td>
        <CountLink n={r.belum_ditindaklanjuti} href={href(sf.belum_ditindaklanjuti)} />
      </td>
      <td>{pct(r.finished_percent)}</td>
      <td>{pct(p.compliance)}</td>
      <td>
        <CountLink
          n={r.overdue_now}
          href={casesHref({ ...cases.overdue_filter, agency_id: r.key.id ?? "" })}
        />
      </td>
    </tr>
  );
}

/** Cases and SLA compliance per agency (a coordinator sees their own agency's row). */
export function AgencyTable(p: { cases: CaseStats; sla: SlaStats; scoped: boolean }) {
  const slaByAgency = new Map(p.sla.rows.map((r) => [String(r.key?.id), r]));
  return (
    <>
      <h2 id="dash-agencies">{p.scoped ? t("dash.agency_table_own") : t("dash.agency_table")}</h2>
      <div class="table-wrap">
        <table class="dash-table" data-testid="agency-table" aria-labelledby="dash-agencies">
          <HeadRow
            cols={[
              t("dash.agency"),
              t("dash.col_created"),
              t("dash.col_selesai"),
              t("dash.col_proses"),
              t("dash.col_belum"),
              t("dash.col_finished"),
              t("dash.col_sla"),
              t("dash.col_overdue"),
            ]}
          />
          <tbody>
            {p.cases.rows.length === 0 && (
              <tr>
                <td colSpan={8}>{t("dash.no_cases")}</td>
              </tr>
            )}
            {p.cases.rows.map((r) => (
              <AgencyRow
                key={String(r.key.id)}
                row={r}
                cases={p.cases}
                compliance={slaByAgency.get(String(r.key.id))?.all.compliance_percent ?? null}
              />
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Cases per district, beside the hot-spot map. */
export function DistrictTable({ areas }: { areas: Hotspots }) {
  const rows = areas.features.filter((f) => f.properties.count > 0 && f.properties.area_id != null);
  return (
    <div class="table-wrap">
      <table class="dash-table" data-testid="district-table">
        <caption>{t("dash.district_table")}</caption>
        <HeadRow cols={[t("dash.district"), t("dash.col_created")]} />
        <tbody>
          {rows.length === 0 && (
            <tr>
              <td colSpan={2}>{t("dash.no_cases")}</td>
            </tr>
          )}
          {rows.map((f) => (
            <tr key={String(f.properties.area_id)}>
              <th scope="row">{f.properties.name ?? "—"}</th>
              <td>{f.properties.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
