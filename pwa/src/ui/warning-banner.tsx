/**
 * Area warnings in force (`GET /api/public/warnings`): a banner on the citizen pages and on the
 * dispatch screen, in the reader's language; on the citizen pages also the opt-in "notify me of
 * warnings for my kecamatan" (a push subscription without an account).
 */
import "./warning-banner.css";
import "./warning-words";
import { useEffect, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, t } from "../lib/i18n";
import { enablePush } from "../lib/push";
import { api } from "../lib/session";
import { useLanguage } from "../shell/ui";

export type Warning = Schema<"WarningView">;
interface Kecamatan {
  id: number;
  name: string;
}
// The list is short-lived news: look again every minute (the dispatch screen also reloads it
// when a live "warning" event arrives, through `reloadWarnings`).
const REFRESH_MS = 60_000;
const listeners = new Set<() => void>();

/** Reload every banner on the page now (a live event said a warning was published). */
export function reloadWarnings(): void {
  for (const fn of listeners) fn();
}

/** The warnings in force, loaded now, every minute and on `reloadWarnings()`. */
export function useWarnings(): Warning[] {
  const [warnings, setWarnings] = useState<Warning[]>([]);
  useEffect(() => {
    let live = true;
    const load = () =>
      void api
        .request<Warning[]>("/api/public/warnings", { auth: false })
        .then((w) => live && setWarnings(w))
        .catch(() => undefined);
    load();
    listeners.add(load);
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      live = false;
      listeners.delete(load);
      clearInterval(timer);
    };
  }, []);
  return warnings;
}

export function WarningBanner({
  warnings,
  optIn = false,
}: {
  warnings: Warning[];
  optIn?: boolean;
}) {
  const lang = useLanguage();
  return (
    <section class="warning-banner" aria-label={t("warning.title")}>
      {warnings.map((w) => (
        <div key={w.id} class={`warning warning-${w.severity.toLowerCase()}`} role="alert">
          <strong>
            {t("warning.title")}: {lang === "en" ? w.headline_en : w.headline_id}
          </strong>
          <p>{lang === "en" ? w.instruction_en : w.instruction_id}</p>
          <small>
            {t("warning.where_until", { area: w.area_desc, time: formatTime(w.expires_at) })}
          </small>
        </div>
      ))}
      {optIn && <WarningOptIn />}
    </section>
  );
}

function WarningOptIn() {
  const lang = useLanguage();
  const [areas, setAreas] = useState<Kecamatan[]>([]);
  const [areaId, setAreaId] = useState<number | null>(null);
  const [said, setSaid] = useState("");
  useEffect(() => {
    void fetch("/api/geography", { headers: { Accept: "application/geo+json" } })
      .then((r) => (r.ok ? r.json() : { features: [] }))
      .then((g: { features: { id?: number; properties: { kind: string; name: string } }[] }) =>
        setAreas(
          g.features
            .filter((f) => f.properties.kind === "kecamatan" && typeof f.id === "number")
            .map((f) => ({ id: f.id as number, name: f.properties.name })),
        ),
      )
      .catch(() => undefined);
  }, []);
  if (!areas.length) return null;
  const subscribe = async () => {
    if (areaId === null) return;
    const r = await enablePush(api, { language: lang, warningAreaId: areaId });
    setSaid(
      r.outcome === "enabled"
        ? t("warning.subscribed")
        : t("warning.subscribe_failed", { detail: r.detail ?? t(`push.${r.outcome}`) }),
    );
  };
  return (
    <form
      class="warning-optin"
      onSubmit={(e) => {
        e.preventDefault();
        void subscribe();
      }}
    >
      <label>
        {t("warning.optin_label")}
        <select
          value={areaId ?? ""}
          onChange={(e) => setAreaId(Number((e.target as HTMLSelectElement).value) || null)}
        >
          <option value="">{t("warning.optin_pick")}</option>
          {areas.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={areaId === null}>
        {t("warning.optin_button")}
      </button>
      {said && <p role="status">{said}</p>}
    </form>
  );
}
