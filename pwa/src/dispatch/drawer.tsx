/**
 * The dispatcher's case drawer: the case, its timeline and photos, and every control-room action
 * the API offers for it (assign or reassign with suggested teams, transfer with a reason, merge
 * into a nearby case, cancel or mark invalid with a reason).
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { formatDistance, formatTime, hasKey, t } from "../lib/i18n";
import { agencyName, categoryName } from "../lib/reference";
import { api } from "../lib/session";
import { PriorityBadge, statusLabel } from "../shell/ui";

export interface DetailCase {
  id: string;
  reference: string;
  status: string;
  priority: string;
  version: number;
  agency_id: number;
  agency_name: string;
  team_id: number | null;
  team_name: string | null;
  category: { id: number; code: string; name: string };
  description: string;
  address: string;
  landmark: string;
  lat: number;
  lon: number;
  overdue: boolean;
  created_at: string;
}

export interface TimelineItem {
  id: number;
  kind: string;
  at: string;
  actor_name: string | null;
  note: string;
  to_status: string | null;
}

export interface CaseDetailOut {
  case: DetailCase;
  timeline: TimelineItem[];
  photos: { id: string; thumb_url: string; caption: string }[];
  actions: string[];
}

interface Suggestion {
  team_id: number;
  name: string;
  distance_m: number | null;
  position_age_s: number | null;
  open_cases: number;
}

interface Agency {
  id: number;
  code: string;
  name: string;
}

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

function errorText(err: unknown): string {
  return err instanceof ApiError && err.detail ? err.detail : t("error.unknown");
}

export interface DrawerProps {
  caseId: string;
  agencies: Agency[];
  /** Bumped by the screen when a live event touches this case. */
  revision: number;
  onClose: () => void;
  onLoaded: (d: CaseDetailOut | null) => void;
}

export function CaseDrawer({ caseId, agencies, revision, onClose, onLoaded }: DrawerProps) {
  const [detail, setDetail] = useState<CaseDetailOut | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [similar, setSimilar] = useState<{ case: DetailCase; distance_m: number }[]>([]);
  const [reason, setReason] = useState("");
  const [agency, setAgency] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [own, setOwn] = useState(0);

  useEffect(() => {
    let live = true;
    setError("");
    void api
      .request<CaseDetailOut>(`/api/cases/${caseId}`)
      .then(async (d) => {
        if (!live) return;
        setDetail(d);
        onLoaded(d);
        if (d.actions.includes("assign")) {
          api
            .request<Suggestion[]>(`/api/cases/${caseId}/team-suggestions`)
            .then((s) => live && setSuggestions(s))
            .catch(() => setSuggestions([]));
        }
        if (d.actions.includes("merge")) {
          const q = `category=${d.case.category.code}&lat=${d.case.lat}&lon=${d.case.lon}`;
          api
            .request<{ case: DetailCase; distance_m: number }[]>(`/api/cases/similar?${q}`)
            .then((s) => live && setSimilar(s.filter((x) => x.case.id !== caseId)))
            .catch(() => setSimilar([]));
        }
      })
      .catch((err) => live && setError(errorText(err)));
    return () => {
      live = false;
    };
  }, [caseId, revision, own]);

  async function act(path: string, body: Record<string, unknown>) {
    if (!detail || busy) return;
    setBusy(true);
    setError("");
    try {
      await api.request(`/api/cases/${caseId}/${path}`, {
        json: { ...body, version: detail.case.version },
      });
      setReason("");
      setOwn((n) => n + 1);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (!detail) {
    return (
      <aside class="drawer" aria-label={t("dispatch.drawer")}>
        {error ? <p class="error">{error}</p> : <p class="loading">{t("app.loading")}</p>}
      </aside>
    );
  }
  const c = detail.case;
  const can = (a: string) => detail.actions.includes(a);
  const needReason = !reason.trim();

  return (
    <aside class="drawer" aria-labelledby="drawer-h" data-testid="case-drawer">
      <div class="row between">
        <h2 id="drawer-h">{t("dispatch.case", { ref: c.reference })}</h2>
        <button type="button" class="btn btn-secondary" onClick={onClose}>
          {t("app.close")}
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <p>
        <PriorityBadge priority={c.priority} />{" "}
        <strong data-testid="drawer-status">{statusLabel(c.status)}</strong>
        {c.overdue && <span class="badge overdue"> {t("tasks.overdue")}</span>}
      </p>
      <dl class="facts">
        <dt>{t("dispatch.category")}</dt>
        <dd>{categoryName(c.category)}</dd>
        <dt>{t("dispatch.agency")}</dt>
        <dd>{agencyName(c.agency_id, c.agency_name)}</dd>
        <dt>{t("dispatch.team")}</dt>
        <dd data-testid="drawer-team">{c.team_name ?? t("dispatch.no_team")}</dd>
        <dt>{t("dispatch.place")}</dt>
        <dd>{[c.address, c.landmark].filter(Boolean).join(" · ") || "–"}</dd>
      </dl>
      <p>{c.description}</p>

      {detail.photos.length > 0 && (
        <ul class="thumbs" aria-label={t("dispatch.photos")}>
          {detail.photos.map((p) => (
            <li key={p.id}>
              <img src={p.thumb_url} alt={p.caption || t("dispatch.photo")} width={96} />
            </li>
          ))}
        </ul>
      )}

      {can("assign") && (
        <section aria-labelledby="assign-h">
          <h3 id="assign-h">{c.team_id ? t("dispatch.reassign") : t("dispatch.assign")}</h3>
          <p class="muted">{t("dispatch.assign_hint")}</p>
          <ul class="plain-list">
            {suggestions.map((s) => (
              <li key={s.team_id} class="row between">
                <span>
                  <strong>{s.name}</strong>{" "}
                  <span class="muted">
                    {s.distance_m === null ? "" : formatDistance(s.distance_m)} ·{" "}
                    {t("intake.open_cases", { n: s.open_cases })}
                  </span>
                </span>
                <button
                  type="button"
                  class="btn btn-secondary"
                  disabled={busy || s.team_id === c.team_id}
                  onClick={() => void act("assign", { team_id: s.team_id })}
                >
                  {t("intake.assign_to", { team: s.name })}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}

      {(can("transfer") || can("cancel") || can("invalid")) && (
        <section aria-labelledby="reason-h">
          <h3 id="reason-h">{t("dispatch.other_actions")}</h3>
          <label class="field">
            <span>{t("dispatch.reason")}</span>
            <input
              type="text"
              value={reason}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            />
          </label>
          {can("transfer") && (
            <div class="row">
              <label class="field grow">
                <span>{t("dispatch.transfer_to")}</span>
                <select
                  value={agency}
                  onChange={(e) => setAgency((e.target as HTMLSelectElement).value)}
                >
                  <option value="">–</option>
                  {agencies
                    .filter((a) => a.id !== c.agency_id)
                    .map((a) => (
                      <option key={a.id} value={a.id}>
                        {agencyName(a.id, a.name)}
                      </option>
                    ))}
                </select>
              </label>
              <button
                type="button"
                class="btn btn-secondary"
                disabled={busy || needReason || !agency}
                onClick={() => void act("transfer", { agency_id: Number(agency), note: reason })}
              >
                {t("dispatch.transfer")}
              </button>
            </div>
          )}
          <div class="row">
            {can("cancel") && (
              <button
                type="button"
                class="btn btn-outline-danger"
                disabled={busy || needReason}
                onClick={() => void act("transitions", { action: "cancel", note: reason })}
              >
                {t("dispatch.cancel")}
              </button>
            )}
            {can("invalid") && (
              <button
                type="button"
                class="btn btn-outline-danger"
                disabled={busy || needReason}
                onClick={() => void act("transitions", { action: "invalid", note: reason })}
              >
                {t("dispatch.invalid")}
              </button>
            )}
          </div>
        </section>
      )}

      {can("merge") && similar.length > 0 && (
        <section aria-labelledby="merge-h">
          <h3 id="merge-h">{t("dispatch.merge")}</h3>
          <ul class="plain-list">
            {similar.map((s) => (
              <li key={s.case.id} class="row between">
                <span>
                  {s.case.reference} · {formatDistance(s.distance_m)}
                </span>
                <button
                  type="button"
                  class="btn btn-secondary"
                  disabled={busy}
                  onClick={() => void act("merge", { parent_id: s.case.id })}
                >
                  {t("dispatch.merge_into", { ref: s.case.reference })}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="timeline-h">
        <h3 id="timeline-h">{t("dispatch.timeline")}</h3>
        <CaseTimeline items={detail.timeline} />
      </section>
    </aside>
  );
}
