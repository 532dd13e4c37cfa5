/**
 * What the supervisor dashboard says about the system's own health, from `GET /health/ready`
 * (public: counts and ages only). Nothing is shown while all is well; a degraded worker, queue or
 * read replica and an unreachable database each get a plain sentence, never a raw reason code.
 */
import type { Schema } from "../lib/api-types";
import { type Key, t } from "../lib/i18n";

/** `GET /health/ready`: `Ready` (ok or degraded) while the database answers, else `Health`. */
export type Readiness = Schema<"Ready"> | Schema<"Health">;

const REASONS: Record<string, Key> = {
  worker_stalled: "health.worker_stalled",
  queue_backlog: "health.queue_backlog",
  sla_scan_late: "health.sla_scan_late",
  replica_down: "health.replica_down",
  replica_lagging: "health.replica_lagging",
};

/** The sentences to show (empty when healthy). */
export function healthNotice(r: Readiness | null): string[] {
  if (!r || r.status === "ok") return [];
  if (r.status !== "degraded") return [t("health.database_down")];
  const minutes = Math.max(1, Math.round((r.queue?.oldest_due_age_s ?? 0) / 60));
  const out = (r.reasons ?? [])
    .filter((reason) => reason in REASONS)
    .map((reason) => t(REASONS[reason], { n: minutes }));
  return out.length ? out : [t("health.degraded")];
}

/** Readiness answers 503 with `{status: "unavailable"}` when the database is down. */
export async function fetchReadiness(): Promise<Readiness | null> {
  try {
    const r = await fetch("/health/ready", { cache: "no-store" });
    return (await r.json()) as Readiness;
  } catch {
    return null; // offline: the shell's own banner says so
  }
}
