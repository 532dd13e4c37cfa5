/**
 * The drill-down (`/dashboard/cases?...`): the cases behind a dashboard number, from
 * `GET /api/cases` with the same filters (status, agency_id, category_id, priority, overdue,
 * created_from/created_to, bbox), 50 at a time. A reference opens the ticket read-only
 * (`&case=<id>`, see `case-view.tsx`).
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { formatTime, t } from "../lib/i18n";
import { agencyName, categoryName, useReference } from "../lib/reference";
import { api } from "../lib/session";
import { OverdueBadge, PageTitle, PriorityBadge, statusLabel } from "../shell/ui";
import { ErrorBanner, HeadRow, Loading } from "../ui/room-table";
import { CaseView } from "./case-view";
import { lastDashboard } from "./query";

const CASE_ID = /^[0-9a-fA-F-]{36}$/;

/** The case list's own filters; anything else (e.g. `area_id`) is not sent. */
const LIST_FILTERS = [
  "status",
  "agency_id",
  "category_id",
  "priority",
  "overdue",
  "created_from",
  "created_to",
  "bbox",
] as const;

export function listQuery(search: string): { query: URLSearchParams; dropped: string[] } {
  const src = new URLSearchParams(search);
  const query = new URLSearchParams();
  const dropped: string[] = [];
  for (const [k, v] of src) {
    if ((LIST_FILTERS as readonly string[]).includes(k)) query.set(k, v);
    else dropped.push(k);
  }
  return { query, dropped };
}

type Page = Schema<"CasePage">;

export function DashboardCases() {
  const lang = useReference();
  const search = location.search;
  const { query, dropped } = listQuery(search);
  const qs = query.toString();
  const open = new URLSearchParams(search).get("case");
  const listHref = `/dashboard/cases${qs ? `?${qs}` : ""}`;
  const ticketHref = (id: string) => {
    const p = new URLSearchParams(query);
    p.set("case", id);
    return `/dashboard/cases?${p.toString()}`;
  };
  const [items, setItems] = useState<Page["items"] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = async (after: string | null) => {
    const p = new URLSearchParams(query);
    p.set("limit", "50");
    if (after) p.set("cursor", after);
    try {
      const page = await api.request<Page>(`/api/cases?${p.toString()}`);
      setItems((prev) => (after && prev ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setError(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : t("error.network"));
    }
  };

  useEffect(() => {
    setItems(null);
    void load(null);
  }, [qs, lang]);

  if (open && CASE_ID.test(open)) return <CaseView id={open.toLowerCase()} backHref={listHref} />;

  const from = query.get("created_from");
  const to = query.get("created_to");
  const status = query.get("status");
  return (
    <section class="screen dashboard" data-testid="dashboard-cases">
      <PageTitle>{t("dash.cases_title")}</PageTitle>
      <p>
        <a href={`/dashboard${lastDashboard.search}`}>
          <span aria-hidden="true">‹ </span>
          {t("dash.back")}
        </a>
      </p>
      <dl class="dash-criteria" data-testid="cases-criteria">
        {from && to && (
          <>
            <dt>{t("dash.created_between")}</dt>
            <dd>
              {formatTime(from)} – {formatTime(to)}
            </dd>
          </>
        )}
        {status && (
          <>
            <dt>{t("dash.status")}</dt>
            <dd>{status.split(",").map(statusLabel).join(", ")}</dd>
          </>
        )}
        {query.get("overdue") === "true" && (
          <>
            <dt>{t("dash.status")}</dt>
            <dd>{t("dash.overdue_now")}</dd>
          </>
        )}
      </dl>
      {dropped.includes("area_id") && <p class="muted">{t("dash.area_not_applied")}</p>}
      <ErrorBanner error={error} />
      {items === null ? (
        <Loading error={error} />
      ) : (
        <>
          <p role="status" data-testid="cases-count" data-count={items.length}>
            {cursor
              ? t("dash.cases_shown_more", { n: items.length })
              : t("dash.cases_shown", { n: items.length })}
          </p>
          <div class="table-wrap">
            <table class="dash-table text-table" data-testid="cases-table">
              <caption class="visually-hidden">{t("dash.cases_title")}</caption>
              <HeadRow
                cols={[
                  t("dash.col_reference"),
                  t("dash.category"),
                  t("dash.agency"),
                  t("dash.col_priority"),
                  t("dash.status"),
                  t("dash.col_created_at"),
                ]}
              />
              <tbody>
                {items.map((c) => (
                  <tr
                    key={c.id}
                    data-testid="case-row"
                    data-reference={c.reference}
                    data-status={c.status}
                  >
                    <th scope="row">
                      <a href={ticketHref(c.id)} data-testid="ticket-link">
                        {c.reference}
                      </a>
                    </th>
                    <td>{categoryName(c.category)}</td>
                    <td>{agencyName(c.agency_id, c.agency_name ?? "")}</td>
                    <td>
                      <PriorityBadge priority={c.priority} />
                    </td>
                    <td>
                      {statusLabel(c.status)} {c.overdue && <OverdueBadge />}
                    </td>
                    <td>{formatTime(c.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {cursor && (
            <button type="button" class="btn btn-secondary" onClick={() => void load(cursor)}>
              {t("dash.more")}
            </button>
          )}
        </>
      )}
    </section>
  );
}
