/** The dashboard's banner about the system itself (worker, queue, database); nothing when well. */
import { useEffect, useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { useLanguage } from "../shell/ui";
import { fetchReadiness, healthNotice, type Readiness } from "./health";

/** Readiness is read again this often while the dashboard is open. */
const HEALTH_POLL_MS = 30_000;

/** A banner when the worker, the queue or the database is not well; nothing when all is. */
export function SystemHealth() {
  const [ready, setReady] = useState<Readiness | null>(null);
  useLanguage();
  useEffect(() => {
    let live = true;
    const read = () =>
      void fetchReadiness().then((r) => {
        if (live) setReady(r);
      });
    read();
    const timer = setInterval(read, HEALTH_POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);
  const lines = healthNotice(ready);
  if (!lines.length) return null;
  return (
    <div class="banner banner-conflict system-health" role="status" data-testid="system-health">
      <strong>{t("health.title")}</strong>
      {lines.map((line) => (
        <p key={line}>{line}</p>
      ))}
    </div>
  );
}
