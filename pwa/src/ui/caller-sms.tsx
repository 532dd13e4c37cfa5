/**
 * "Send the tracking code by SMS" on the intake screen's created step and in the dispatcher's
 * case drawer (for the roles that may send it): the caller gets the code
 * and the tracking page's address, in Indonesian unless the operator picks English. The API
 * keeps one message per case (a second click, or this request retried with its key, sends
 * nothing more); this shows its state: queued, sent, or failed with the reason and a resend.
 * Hidden when the service has no SMS gateway or the case no caller number.
 */
import "./caller-sms.css";
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, t } from "../lib/i18n";
import { api } from "../lib/session";
import "./control-words";
import { useSendOnce } from "./send-once";

type Sms = Schema<"CallerSmsOut">;
type Language = "id" | "en";

// While the worker works on it: how often to ask again.
const POLL_MS = 3000;

function stateLine(sms: Sms): string {
  if (sms.status === "sent") {
    return t("sms.sent", { at: sms.sent_at ? formatTime(sms.sent_at, false) : "" });
  }
  // The gateway's own reason (HTTP 503, timeout) stays in the API for admins.
  if (sms.status === "failed") return t("sms.failed", { n: sms.attempts });
  return t("sms.pending");
}

/** Keyed by the case: another case starts from nothing, never from the last one's state. */
export function CallerSms({ caseId }: { caseId: string }) {
  return <CaseSms key={caseId} caseId={caseId} />;
}

function CaseSms({ caseId }: { caseId: string }) {
  const url = `/api/cases/${caseId}/caller-sms`;
  const [sms, setSms] = useState<Sms | null>(null);
  const [language, setLanguage] = useState<Language>("id");
  const { busy, error, send: sendOnce } = useSendOnce();

  useEffect(() => {
    let stop = false;
    let timer: number | undefined;
    async function load() {
      try {
        const found = await api.request<Sms>(url);
        if (stop) return;
        setSms(found);
        if (found.status === "pending") timer = window.setTimeout(() => void load(), POLL_MS);
      } catch {
        // The status is a convenience: the case is made either way.
      }
    }
    if (sms === null || sms.status === "pending") void load();
    return () => {
      stop = true;
      window.clearTimeout(timer);
    };
  }, [url, sms?.status]);

  async function send() {
    const sent = await sendOnce((key) =>
      api.request<Sms>(url, { method: "POST", json: { language }, idempotencyKey: key }),
    );
    if (sent) setSms(sent);
  }

  if (sms === null || !sms.available) return null;
  const canSend = sms.status === null || sms.status === "failed";
  return (
    <div class="caller-sms" data-testid="caller-sms">
      {sms.status !== null && (
        <p role="status" data-testid="caller-sms-status" data-status={sms.status}>
          {stateLine(sms)}
        </p>
      )}
      {canSend && (
        <div class="caller-sms-send">
          <label>
            {t("sms.language")}{" "}
            <select
              value={language}
              onChange={(e) => setLanguage((e.target as HTMLSelectElement).value as Language)}
            >
              <option value="id">Bahasa Indonesia</option>
              <option value="en">English</option>
            </select>
          </label>
          <button
            type="button"
            class="btn btn-secondary"
            disabled={busy}
            data-testid="caller-sms-send"
            onClick={() => void send()}
          >
            {sms.status === "failed" ? t("sms.resend") : t("sms.send")}
          </button>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
