/**
 * The warning screens' data: the staff view of a warning (`GET /api/warnings[/id]`), the CAP
 * value lists (as the API spells them; shown only through their words), and the draft body.
 */
import type { Schema } from "../lib/api-types";
import { hasKey, t } from "../lib/i18n";

export type StaffWarning = Schema<"StaffWarningView">;
export type WarningIn = Schema<"WarningIn">;

export const CATEGORIES: WarningIn["category"][] = [
  "Met",
  "Geo",
  "Safety",
  "Security",
  "Rescue",
  "Fire",
  "Health",
  "Env",
  "Transport",
  "Infra",
  "CBRNE",
  "Other",
];
export const SEVERITIES: WarningIn["severity"][] = [
  "Extreme",
  "Severe",
  "Moderate",
  "Minor",
  "Unknown",
];
export const URGENCIES: WarningIn["urgency"][] = [
  "Immediate",
  "Expected",
  "Future",
  "Past",
  "Unknown",
];
export const CERTAINTIES: WarningIn["certainty"][] = [
  "Observed",
  "Likely",
  "Possible",
  "Unlikely",
  "Unknown",
];

/** A CAP code's words (`warn.sev.Severe` → "Parah"); an unknown code shows as a dash, never raw. */
export function capWord(list: "cat" | "sev" | "urg" | "cer" | "msg" | "status", code: string) {
  const key = `warn.${list}.${code}`;
  return hasKey(key) ? t(key) : "—";
}

/** The state a person reads: a published warning past its expiry is "expired". */
export function stateOf(w: StaffWarning, now = Date.now()): string {
  if (w.status === "published" && Date.parse(w.expires_at) <= now) return "expired";
  return w.status;
}

/** `datetime-local`'s value (local time, minutes) for a moment. */
export function localInput(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}` +
    `T${pad(at.getHours())}:${pad(at.getMinutes())}`
  );
}

/** The API's moment for a `datetime-local` value; what cannot be read goes as typed (the API
 * then says what is wrong beside the field). */
export function isoFromInput(value: string): string {
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? value : at.toISOString();
}
