/**
 * The catalogue of names every screen shows instead of codes: categories and agencies, both names
 * (Indonesian and English) from the API's reference endpoints (`GET /api/categories`,
 * `GET /api/agencies`), fetched once per session and kept in IndexedDB for offline starts. Screens
 * read names through `categoryName()` / `agencyName()` in the current language, so switching
 * language renames lists already on screen without asking the server again.
 */
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "./api-types";
import { kvGet, kvSet } from "./db";
import { getLanguage, type Lang, onLanguageChange } from "./i18n";
import { api } from "./session";

/** What is kept of each agency and category (the API's AgencyItem and CategoryItem). */
export type NamedRef = Pick<Schema<"AgencyItem">, "id" | "code" | "name_id" | "name_en">;

export type CategoryRef = NamedRef & Pick<Schema<"CategoryItem">, "agency_id" | "photo_required">;

export interface Reference {
  categories: CategoryRef[];
  agencies: NamedRef[];
}

const KEY = "reference";
let current: Reference | null = null;
let loading: Promise<Reference | null> | null = null;
const listeners = new Set<() => void>();

/** Fetch (once) the categories and agencies; offline, the copy kept from the last visit. */
export function loadReference(): Promise<Reference | null> {
  if (!loading) {
    loading = (async () => {
      try {
        const [categories, agencies] = await Promise.all([
          api.request<CategoryRef[]>("/api/categories"),
          api.request<NamedRef[]>("/api/agencies"),
        ]);
        current = { categories, agencies };
        void kvSet(KEY, current).catch(() => undefined);
      } catch {
        loading = null; // try again on the next screen
        current = current ?? (await kvGet<Reference>(KEY).catch(() => undefined)) ?? null;
      }
      for (const fn of listeners) fn();
      return current;
    })();
  }
  return loading;
}

function nameIn(r: NamedRef, lang: Lang): string {
  return (lang === "en" ? r.name_en : r.name_id) || r.name_id || r.name_en;
}

/** A category's name in the current language: by id, else by code; `fallback` (a name the API
 * gave) until the catalogue has loaded. Never the code. */
export function categoryName(
  c: { id?: number | null; code?: string | null; name?: string | null },
  lang: Lang = getLanguage(),
): string {
  const found = current?.categories.find(
    (x) => (c.id != null && x.id === c.id) || (c.code != null && x.code === c.code),
  );
  return found ? nameIn(found, lang) : (c.name ?? "");
}

export function agencyName(id: number | null | undefined, fallback = "", lang = getLanguage()) {
  const found = current?.agencies.find((a) => a.id === id);
  return found ? nameIn(found, lang) : fallback;
}

export function categories(): CategoryRef[] {
  return current?.categories ?? [];
}

export function agencies(): NamedRef[] {
  return current?.agencies ?? [];
}

/** Load the catalogue and re-render when it arrives or the language changes. */
export function useReference(): Lang {
  const [lang, setLang] = useState(getLanguage());
  const [, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((n) => n + 1);
    listeners.add(bump);
    void loadReference();
    const off = onLanguageChange(setLang);
    return () => {
      listeners.delete(bump);
      off();
    };
  }, []);
  return lang;
}
