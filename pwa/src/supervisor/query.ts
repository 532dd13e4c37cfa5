/**
 * The dashboard's period and filters, kept in the address bar so every view can be linked, and
 * the shapes of the statistics API it reads (docs/stats.md). Pure functions: no I/O.
 */
import type { Schema } from "../lib/api-types";

export type PeriodKind = "day" | "week" | "month";

// The statistics API's answers, as generated from its OpenAPI document.
export type PeriodOut = Schema<"PeriodOut">;
export type CallStats = Schema<"CallStats">;
export type CaseStats = Schema<"CaseStats">;
export type CaseRow = Schema<"CaseRow">;
export type ResponseTimes = Schema<"ResponseTimes">;
export type SlaStats = Schema<"SlaStats">;

/** A case-list filter as the API hands it out (`cases_filter`): parameter names to values. */
export type Filter = CaseStats["cases_filter"];

/**
 * A hot spot (`GET /api/stats/hotspots`): the generated GeoJSON feature leaves `properties` and
 * `meta` open, so this view model names what the grid and the district answers carry.
 */
export type HotspotFeature = Omit<Schema<"Feature">, "properties"> & {
  properties: {
    count: number;
    cell?: [number, number, number, number];
    area_id?: number;
    name?: string;
    cases_filter?: Filter;
  };
};

export type Hotspots = Omit<Schema<"FeatureCollection">, "features" | "meta"> & {
  features: HotspotFeature[];
  meta: { total: number; cases_filter: Filter };
};

export const STAGES = ["dispatch", "accept", "arrive", "resolve"] as const;
export const CALL_CLASSES = [
  "valid",
  "informasi",
  "curhat",
  "prank",
  "ghost",
  "wrong_number",
  "unclassified",
] as const satisfies readonly (keyof Schema<"CallCounts">)[];

/** The stats parameters the dashboard keeps in its address (anything else is dropped). */
const KEPT = ["month", "week", "day", "agency_id", "category_id", "area_id"] as const;

export function statsParams(search: string): URLSearchParams {
  const src = new URLSearchParams(search);
  const out = new URLSearchParams();
  for (const k of KEPT) {
    const v = src.get(k);
    if (v) out.set(k, v);
  }
  return out;
}

function iso(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function utcDate(day: string): Date {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d));
}

/** ISO 8601 week of a date, as the API spells it: `2025-W45`. */
export function isoWeek(day: string): string {
  const d = utcDate(day);
  const dow = (d.getUTCDay() + 6) % 7; // Monday 0
  d.setUTCDate(d.getUTCDate() - dow + 3); // the Thursday of this week decides its year
  const year = d.getUTCFullYear();
  const week = 1 + Math.floor((d.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** The period parameter of the given kind that contains `day` (YYYY-MM-DD). */
export function periodFor(kind: PeriodKind, day: string): [PeriodKind, string] {
  if (kind === "day") return ["day", day];
  if (kind === "week") return ["week", isoWeek(day)];
  return ["month", day.slice(0, 7)];
}

/** The period just before (-1) or after (+1) the one that starts on `from`. */
export function shiftPeriod(kind: PeriodKind, from: string, step: -1 | 1): [PeriodKind, string] {
  const d = utcDate(from);
  if (kind === "day") d.setUTCDate(d.getUTCDate() + step);
  else if (kind === "week") d.setUTCDate(d.getUTCDate() + 7 * step);
  else d.setUTCMonth(d.getUTCMonth() + step, 1);
  return periodFor(kind, iso(d));
}

/** Replace the period in a set of stats parameters. */
export function withPeriod(params: URLSearchParams, kind: PeriodKind, value: string): string {
  const p = new URLSearchParams(params);
  p.delete("month");
  p.delete("week");
  p.delete("day");
  p.set(kind, value);
  return p.toString();
}

/** Set or clear one filter. */
export function withFilter(params: URLSearchParams, name: string, value: string): string {
  const p = new URLSearchParams(params);
  if (value) p.set(name, value);
  else p.delete(name);
  return p.toString();
}

/** Today in the city's zone (YYYY-MM-DD). */
export function cityToday(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, dateStyle: "short" }).format(now);
}

/**
 * The drill-down address: the case list behind a figure. The case list has no `area_id` filter
 * (docs/stats.md), so a district filter is dropped there and the list says so.
 */
export function casesHref(filter: Filter, extra: Filter = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...extra })) p.set(k, String(v));
  return `/dashboard/cases?${p.toString()}`;
}

/** Percentage-point or count change, with its sign. */
export function delta(value: number | null, previous: number | null): number | null {
  if (value === null || previous === null) return null;
  return Math.round((value - previous) * 10) / 10;
}

/** The dashboard's last address, so the case list leads back to the same view. */
export const lastDashboard = { search: "" };
