/**
 * A staff case's facts and timeline, as the dispatcher's drawer and the supervisor's read-only
 * ticket show them (`GET /api/cases/{id}`).
 */
import type { ComponentChildren } from "preact";
import type { Schema } from "../lib/api-types";
import { formatTime, hasKey, t } from "../lib/i18n";
import { agencyName, categoryName } from "../lib/reference";
import { statusLabel } from "../shell/ui";

export type CaseDetailOut = Schema<"CaseDetail">;
export type TimelineItem = Schema<"EventOut">;

/** A timeline entry in words: the event's name, else the status it moved to; never its code. */
export function eventLabel(e: Pick<TimelineItem, "kind" | "to_status">): string {
  const key = `event.${e.kind}`;
  if (hasKey(key)) return t(key);
  return e.to_status ? statusLabel(e.to_status) : t("event.other");
}

/** A case's timeline, oldest first (the drawer and the supervisor's read-only case view). */
export function CaseTimeline({ items }: { items: TimelineItem[] }) {
  return (
    <ol class="timeline" data-testid="case-timeline">
      {items.map((e) => (
        <li key={e.id} data-kind={e.kind}>
          <span class="muted">{formatTime(e.at)}</span>{" "}
          {e.to_status && e.kind !== "created" ? statusLabel(e.to_status) : eventLabel(e)}
          {e.actor_name ? ` · ${e.actor_name}` : ""}
          {e.note ? ` · ${e.note}` : ""}
        </li>
      ))}
    </ol>
  );
}

/** Category, agency, team and place of a case; `children` adds facts at the end. */
export function CaseFacts(p: {
  c: Schema<"CaseOut">;
  /** Whose words for category and agency: the dispatch console's or the dashboard's. */
  words: "dispatch" | "dash";
  teamTestid?: string;
  children?: ComponentChildren;
}) {
  const { c } = p;
  return (
    <dl class="facts">
      <dt>{t(`${p.words}.category`)}</dt>
      <dd>{categoryName(c.category)}</dd>
      <dt>{t(`${p.words}.agency`)}</dt>
      <dd>{agencyName(c.agency_id, c.agency_name)}</dd>
      <dt>{t("dispatch.team")}</dt>
      <dd data-testid={p.teamTestid}>{c.team_name ?? t("dispatch.no_team")}</dd>
      <dt>{t("dispatch.place")}</dt>
      <dd>{[c.address, c.landmark].filter(Boolean).join(" · ") || "–"}</dd>
      <dt>{t("case.plus_code")}</dt>
      <dd data-testid="plus-code" translate={false}>
        {c.plus_code}
      </dd>
      {p.children}
    </dl>
  );
}
