/**
 * The supervisor's read-only ticket (`/dashboard/cases?...&case=<id>`): a case from the ticket
 * list with its facts and timeline, from the staff case API (`GET /api/cases/{id}`), with no
 * action and no reporter contact. The list's own filters stay in the address, so "back" returns
 * to the same list.
 */
import { useEffect, useState } from "preact/hooks";
import { type CaseDetailOut, CaseFacts, CaseTimeline } from "../dispatch/case-facts";
import { ApiError } from "../lib/api";
import { formatTime, t } from "../lib/i18n";
import { api } from "../lib/session";
import { OverdueBadge, PageTitle, PriorityBadge, statusLabel } from "../shell/ui";
import { ErrorBanner, Loading } from "../ui/room-table";

export function CaseView({ id, backHref }: { id: string; backHref: string }) {
  const [detail, setDetail] = useState<CaseDetailOut | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setDetail(null);
    setError(null);
    api
      .request<CaseDetailOut>(`/api/cases/${id}`)
      .then((d) => live && setDetail(d))
      .catch(
        (e: unknown) => live && setError(e instanceof ApiError ? e.message : t("error.network")),
      );
    return () => {
      live = false;
    };
  }, [id]);

  const c = detail?.case;
  return (
    <section class="screen dashboard case-view" data-testid="ticket-view">
      <PageTitle>{c ? t("dash.ticket", { ref: c.reference }) : t("dash.ticket_loading")}</PageTitle>
      <p>
        <a href={backHref}>
          <span aria-hidden="true">‹ </span>
          {t("dash.back_to_list")}
        </a>
      </p>
      <ErrorBanner error={error} />
      {!c ? (
        <Loading error={error} />
      ) : (
        <>
          <p class="muted">{t("dash.read_only")}</p>
          <p>
            <PriorityBadge priority={c.priority} />{" "}
            <strong data-testid="ticket-status">{statusLabel(c.status)}</strong>{" "}
            {c.overdue && <OverdueBadge />}
          </p>
          <CaseFacts c={c} words="dash">
            <dt>{t("dash.col_created_at")}</dt>
            <dd>{formatTime(c.created_at)}</dd>
          </CaseFacts>
          {c.description && <p>{c.description}</p>}
          <h2>{t("dispatch.timeline")}</h2>
          <CaseTimeline items={detail.timeline} />
        </>
      )}
    </section>
  );
}
