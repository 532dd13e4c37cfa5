/**
 * The dispatch map's warning layers, listed under it: the city's area warnings in force (dashed
 * red on the map) and the CAP alerts received from others (dotted orange), each with its
 * headline; the keyboard's way to what the map draws as areas. A supervisor or a BPBD coordinator
 * re-issues a received alert as a draft city warning (POST /api/cap/incoming/{id}/reissue; a
 * second person still approves it) and goes on to that draft, /warnings/<id>.
 */
import { useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { formatTime, t } from "../lib/i18n";
import { navigate } from "../lib/router";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import type { Warning } from "../ui/warning-banner";
import type { IncomingAlert } from "./incoming-cap";
import "../ui/control-words";

/** Who the API lets re-issue (of the coordinators BPBD's only; only they are sent the alerts). */
const REISSUE_ROLES = ["supervisor", "coordinator"];

interface WarningLayersProps {
  warnings: Warning[];
  incoming: IncomingAlert[];
  lang: string;
}

export function WarningLayers({ warnings, incoming, lang }: WarningLayersProps) {
  const role = useStore(app).session?.user.role ?? "";
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  if (warnings.length === 0 && incoming.length === 0) return null;
  const mayReissue = REISSUE_ROLES.includes(role);

  async function reissue(alert: IncomingAlert) {
    setBusy(true);
    setError("");
    try {
      const draft = await api.request<Warning>(`/api/cap/incoming/${alert.id}/reissue`, {
        method: "POST",
      });
      navigate(`/warnings/${draft.id}`);
    } catch (err) {
      setError(err instanceof ApiError && err.detail ? err.detail : t("error.unknown"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="warning-layers" aria-labelledby="warning-layers-h" data-testid="warning-layers">
      <h2 id="warning-layers-h">{t("dispatch.warning_layers")}</h2>
      <ul class="plain-list">
        {warnings.map((w) => (
          <li key={`w${w.id}`} class="layer-item" data-warning={w.id}>
            <span class="lg-area lg-warning" aria-hidden="true" />
            <div>
              <strong>
                {t("warning.title")}: {lang === "en" ? w.headline_en : w.headline_id}
              </strong>
              <br />
              <small>
                {t("warning.where_until", { area: w.area_desc, time: formatTime(w.expires_at) })}
              </small>
            </div>
          </li>
        ))}
        {incoming.map((a) => (
          <li key={`c${a.id}`} class="layer-item" data-incoming={a.id}>
            <span class="lg-area lg-cap" aria-hidden="true" />
            <div>
              <strong>
                {t("warning.cap_incoming", { sender: a.sender })}:{" "}
                {/* The words as sent, in the sender's language. */}
                <span lang={a.language.slice(0, 2) || undefined}>{a.headline}</span>
              </strong>
              {a.expires_at && (
                <>
                  <br />
                  <small>{t("dispatch.warning_until", { time: formatTime(a.expires_at) })}</small>
                </>
              )}
              {mayReissue && (
                <p class="reissue">
                  <button
                    type="button"
                    class="btn btn-secondary"
                    disabled={busy}
                    data-testid="cap-reissue"
                    onClick={() => void reissue(a)}
                  >
                    {t("dispatch.reissue")}
                  </button>{" "}
                  <small>{t("dispatch.reissue_note")}</small>
                </p>
              )}
            </div>
          </li>
        ))}
      </ul>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
