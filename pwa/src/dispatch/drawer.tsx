/**
 * The dispatcher's case drawer: the case, its timeline and photos, and every control-room action
 * the API offers for it (assign or reassign with suggested teams, transfer with a reason, merge
 * into a nearby case, cancel or mark invalid with a reason), and for a case outside the city the
 * neighbouring region it lies in, with "transfer to neighbour".
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { mayOpen } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import { PriorityBadge, statusLabel } from "../shell/ui";
import { CallerSms } from "../ui/caller-sms";
import { ErrorText } from "../ui/room-table";
import { type CaseDetailOut, CaseFacts, CaseTimeline } from "./case-facts";
import {
  AssignSection,
  MergeSection,
  ReasonSection,
  type Similar,
  type Suggestion,
} from "./drawer-actions";
import { NeighbourSection } from "./drawer-neighbour";

export type { CaseDetailOut };

function errorText(err: unknown): string {
  return err instanceof ApiError && err.detail ? err.detail : t("error.unknown");
}

export interface DrawerProps {
  caseId: string;
  agencies: Schema<"AgencyRef">[];
  /** Bumped by the screen when a live event touches this case. */
  revision: number;
  onClose: () => void;
  onLoaded: (d: CaseDetailOut | null) => void;
}

export function CaseDrawer({ caseId, agencies, revision, onClose, onLoaded }: DrawerProps) {
  // Who may take calls may also send a caller their code (the API's intake roles).
  const sendsSms = mayOpen(useStore(app).session?.user.role, "intake");
  const [detail, setDetail] = useState<CaseDetailOut | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [similar, setSimilar] = useState<Similar[]>([]);
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
            .request<Similar[]>(`/api/cases/similar?${q}`)
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

  return (
    <aside class="drawer" aria-labelledby="drawer-h" data-testid="case-drawer">
      <div class="row between">
        <h2 id="drawer-h">{t("dispatch.case", { ref: c.reference })}</h2>
        <button type="button" class="btn btn-secondary" onClick={onClose}>
          {t("app.close")}
        </button>
      </div>
      <ErrorText error={error} />
      <p>
        <PriorityBadge priority={c.priority} />{" "}
        <strong data-testid="drawer-status">{statusLabel(c.status)}</strong>
        {c.overdue && <span class="badge overdue"> {t("tasks.overdue")}</span>}
      </p>
      <CaseFacts c={c} words="dispatch" teamTestid="drawer-team" />
      <p>{c.description}</p>
      {sendsSms && <CallerSms caseId={c.id} />}
      {detail.outside && (
        <NeighbourSection
          caseId={caseId}
          reference={c.reference}
          flag={detail.outside}
          onDone={() => setOwn((n) => n + 1)}
        />
      )}

      {detail.photos.length > 0 && (
        <ul class="thumbs" aria-label={t("dispatch.photos")}>
          {detail.photos.map((p) => (
            <li key={p.id}>
              <img src={p.thumb_url} alt={p.caption || t("dispatch.photo")} width={96} />
            </li>
          ))}
        </ul>
      )}

      {can("assign") && <AssignSection c={c} busy={busy} act={act} suggestions={suggestions} />}
      {(can("transfer") || can("cancel") || can("invalid")) && (
        <ReasonSection
          c={c}
          busy={busy}
          act={act}
          can={can}
          reason={reason}
          setReason={setReason}
          agencies={agencies}
          agency={agency}
          setAgency={setAgency}
        />
      )}
      {can("merge") && similar.length > 0 && (
        <MergeSection busy={busy} act={act} similar={similar} />
      )}

      <section aria-labelledby="timeline-h">
        <h3 id="timeline-h">{t("dispatch.timeline")}</h3>
        <CaseTimeline items={detail.timeline} />
      </section>
    </aside>
  );
}
