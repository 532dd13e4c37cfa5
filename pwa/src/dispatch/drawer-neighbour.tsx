/**
 * The drawer's "outside the city" flag: the neighbouring region a case lies in, how to reach its
 * control room, and "transfer to neighbour", which records the hand-off and offers the incident
 * document (docs/handoff.md) to send to them.
 */
import { useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { api } from "../lib/session";
import { type Neighbour, nameOf, OutsideFacts } from "../ui/outside-flag";
import "../ui/control-words";

type Flag = Schema<"OutsideFlag">;
type Handoff = Schema<"HandoffOut">;

/** The hand-off document as a file to save and send. */
function documentLink(h: Handoff): string {
  const body = JSON.stringify(h.document, null, 2);
  return URL.createObjectURL(new Blob([body], { type: "application/json" }));
}

export function NeighbourSection(p: {
  caseId: string;
  reference: string;
  flag: Flag;
  onDone: () => void;
}) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [done, setDone] = useState<{ to: Neighbour; href: string } | null>(null);
  const n = p.flag.neighbour;

  async function transfer(to: Neighbour) {
    setBusy(true);
    setError("");
    try {
      const h = await api.request<Handoff>(`/api/cases/${p.caseId}/handoff`, {
        json: { neighbour_id: to.id, note },
      });
      setDone({ to, href: documentLink(h) });
      setNote("");
      p.onDone();
    } catch (err) {
      setError(err instanceof ApiError && err.detail ? err.detail : t("error.unknown"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="outside-h" class="outside-flag" data-testid="outside-flag">
      <h3 id="outside-h">{t("handoff.outside_title")}</h3>
      <OutsideFacts flag={p.flag} />
      {n && (
        <div class="row">
          <label class="field grow">
            <span>{t("handoff.note")}</span>
            <input
              type="text"
              maxLength={4000}
              value={note}
              onInput={(e) => setNote((e.target as HTMLInputElement).value)}
            />
          </label>
          <button
            type="button"
            class="btn btn-secondary"
            disabled={busy}
            onClick={() => void transfer(n)}
          >
            {t("handoff.transfer", { neighbour: nameOf(n) })}
          </button>
        </div>
      )}
      {error && <p class="error">{error}</p>}
      {done && (
        <p data-testid="handoff-done">
          {t("handoff.done", { neighbour: nameOf(done.to) })}{" "}
          <a href={done.href} download={`${p.reference}-handoff.json`}>
            {t("handoff.download")}
          </a>
        </p>
      )}
    </section>
  );
}
