/** What the admin console's screens share: loading a list from the admin API, names in words. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, NetworkError } from "../lib/api";
import { getLanguage, hasKey, t } from "../lib/i18n";
import type { Role } from "../lib/router";
import { api } from "../lib/session";

/** A failed load, in words. */
export function loadError(err: unknown): string {
  if (err instanceof NetworkError) return t("error.network");
  return err instanceof ApiError && err.detail ? err.detail : t("error.unknown");
}

/** A list from the admin API, and a way to read it again after a change. */
export function useList<T>(path: string): {
  rows: T[] | null;
  error: string;
  reload: () => Promise<void>;
} {
  const [rows, setRows] = useState<T[] | null>(null);
  const [error, setError] = useState("");
  // Only the answer for the path asked last is shown (a filter changed while one was on its way).
  const latest = useRef(path);
  latest.current = path;
  async function reload(): Promise<void> {
    try {
      const found = await api.request<T[]>(path);
      if (latest.current !== path) return;
      setRows(found);
      setError("");
    } catch (err) {
      setError(loadError(err));
    }
  }
  useEffect(() => {
    void reload();
  }, [path]);
  return { rows, error, reload };
}

/**
 * A change made from a list (revoke, delete, switch): its failure in words, and on success the
 * list read again (`after`).
 */
export function useAction(after: () => Promise<void>) {
  const [error, setError] = useState("");
  async function act(work: () => Promise<unknown>): Promise<boolean> {
    setError("");
    try {
      await work();
      await after();
      return true;
    } catch (err) {
      setError(loadError(err));
      return false;
    }
  }
  return { error, act };
}

/** A JSON request to the admin API. */
export function send<T>(path: string, method: string, json?: unknown): Promise<T> {
  return api.request<T>(path, { method, json });
}

export const named = (x: { name_id: string; name_en: string }) =>
  getLanguage() === "en" ? x.name_en : x.name_id;

/** The name of the row with this id, in words (`say`), or "—" when there is none. */
export function nameOf<T extends { id: number }>(
  rows: T[] | null | undefined,
  id: number | null,
  say: (x: T) => string,
): string {
  const x = id === null ? undefined : rows?.find((r) => r.id === id);
  return x ? say(x) : "—";
}

export const roleName = (role: string) => {
  const key = `role.${role}`;
  return hasKey(key) ? t(key) : "";
};

export const activeWord = (active: boolean) => t(active ? "admin.active" : "admin.inactive");

/** The options of a select of named things (agencies, categories). */
export const namedOptions = (rows: { id: number; name_id: string; name_en: string }[] | null) =>
  (rows ?? []).map((r) => ({ value: r.id, label: named(r) }));

/** "" for an empty select, else its number. */
export const idOrNull = (v: string): number | null => (v === "" ? null : Number(v));

/** Every staff role, in the order the console lists them. */
export const ROLES = [
  "admin",
  "supervisor",
  "operator",
  "dispatcher",
  "coordinator",
  "field_officer",
] as const satisfies readonly Role[];

/** A password to hand over once: 16 letters and digits from the platform's random source. */
export function newPassword(): string {
  const abc = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => abc[b % abc.length]).join("");
}
