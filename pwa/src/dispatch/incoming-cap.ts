/**
 * Received CAP alerts in force that touch the city (`GET /api/cap/incoming`, docs/warnings.md),
 * for the dispatch map's layer. Their words are shown as sent (the sender's language).
 */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { api } from "../lib/session";

export type IncomingAlert = Schema<"IncomingView">;

// The worker polls the feed every couple of minutes; looking every minute is enough.
const REFRESH_MS = 60_000;

/** The received alerts, loaded now and every minute while `allowed`. */
export function useIncomingCap(allowed: boolean): IncomingAlert[] {
  const [alerts, setAlerts] = useState<IncomingAlert[]>([]);
  useEffect(() => {
    if (!allowed) return;
    let live = true;
    const load = () =>
      void api
        .request<IncomingAlert[]>("/api/cap/incoming")
        .then((a) => live && setAlerts(a))
        .catch(() => undefined);
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [allowed]);
  return alerts;
}
