/**
 * Sending a citizen's report: queue it first (with its photos), try to send it at once, and if
 * there is no signal keep the page on "queued" until the report goes out (on `online`), then show
 * its code. Following a similar report instead answers the same way.
 */
import { useEffect, useState } from "preact/hooks";
import { ApiError, NetworkError } from "../lib/api";
import { t } from "../lib/i18n";
import { useAction } from "../ui/form-action";
import {
  type FollowBody,
  flushReports,
  follow,
  queuedReports,
  queueReport,
  type ReportAnswer,
  type ReportBody,
  sentReports,
} from "./data";

/** The citizen screens' words for a failure: no signal, the server's reason, or unknown. */
export function errorText(err: unknown): string {
  if (err instanceof NetworkError) return t("error.network");
  if (err instanceof ApiError) return err.detail || err.code;
  return t("error.unknown");
}

export function useReportSend() {
  const { busy, error, setError, run } = useAction(errorText);
  const [done, setDone] = useState<ReportAnswer | null>(null);
  const [queuedKey, setQueuedKey] = useState<string | null>(null);

  // A report queued offline is sent as soon as there is signal; this page then shows its code.
  useEffect(() => {
    if (!queuedKey) return;
    const attempt = async () => {
      await flushReports().catch(() => []);
      const sent = (await sentReports()).find((r) => r.key === queuedKey);
      if (sent) {
        setDone(sent.answer);
        setQueuedKey(null);
        return;
      }
      const mine = (await queuedReports()).find((i) => i.key === queuedKey);
      if (mine?.error) setError(mine.error.detail || mine.error.code);
    };
    void attempt();
    window.addEventListener("online", attempt);
    return () => window.removeEventListener("online", attempt);
  }, [queuedKey]);

  const send = (body: ReportBody, photos: Blob[]) =>
    run(async () => {
      const item = await queueReport(body, photos);
      const sent = (await flushReports()).find((r) => r.key === item.key);
      const still = (await queuedReports()).find((i) => i.key === item.key);
      if (sent) setDone(sent.answer);
      else if (still?.error) setError(still.error.detail || still.error.code);
      else setQueuedKey(item.key);
    });

  const followCase = (reference: string, who: FollowBody) =>
    run(async () => setDone(await follow(reference, who)));

  return { busy, error, setError, done, queuedKey, send, followCase };
}
