/**
 * The steps of the citizen's report form: what (a group, then a category), where (GPS, a map
 * pin, coordinates or a place name, and an address), and the similar reports near that spot
 * the citizen may follow instead.
 */
import { useEffect, useState } from "preact/hooks";
import type { LatLon } from "../lib/coords";
import { formatDistance, getLanguage, hasKey, t } from "../lib/i18n";
import type { AppConfig } from "../lib/types";
import { PinEntry } from "../operator/pin-entry";
import { FormError, TextField } from "../ui/form-field";
import { type Category, categories, type Similar } from "./data";
import { GroupIcon } from "./icons";
import { errorText } from "./lapor-send";
import { MapPicker } from "./map-picker";

export interface Spot extends LatLon {
  source: "gps" | "map";
  accuracy_m: number | null;
}

function groupName(group: string): string {
  const key = `citizen.group.${group}`;
  return hasKey(key) ? t(key) : group;
}

/** The public categories in the page's language; `retry` after a failure. */
export function useCategories() {
  const [cats, setCats] = useState<Category[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const retry = () => {
    setLoadError("");
    categories()
      .then(setCats)
      .catch((err) => setLoadError(errorText(err)));
  };
  useEffect(retry, [getLanguage()]);
  return { cats, loadError, retry };
}

export function CategoryStep({
  list: { cats, loadError, retry },
  category,
  onCategory,
}: {
  list: ReturnType<typeof useCategories>;
  category: string;
  onCategory: (code: string) => void;
}) {
  const [group, setGroup] = useState<string | null>(null);
  const groups: string[] = [];
  for (const c of cats ?? []) if (!groups.includes(c.group)) groups.push(c.group);
  return (
    <fieldset class="field">
      <legend>{t("citizen.step_category")}</legend>
      {loadError && (
        <p class="error" role="alert">
          {loadError}{" "}
          <button type="button" class="btn btn-secondary" onClick={retry}>
            {t("app.retry")}
          </button>
        </p>
      )}
      {!cats && !loadError && <p class="loading">{t("app.loading")}</p>}
      <div class="group-grid">
        {groups.map((g) => (
          <button
            type="button"
            key={g}
            class={`group-btn ${g === group ? "selected" : ""}`}
            aria-pressed={g === group}
            data-testid={`group-${g}`}
            onClick={() => {
              setGroup(g);
              onCategory("");
            }}
          >
            <GroupIcon group={g} />
            <span>{groupName(g)}</span>
          </button>
        ))}
      </div>
      {group && (
        <div class="choices" role="radiogroup" aria-label={groupName(group)}>
          {(cats ?? [])
            .filter((c) => c.group === group)
            .map((c) => (
              <label key={c.code} class={`choice ${c.code === category ? "selected" : ""}`}>
                <input
                  type="radio"
                  name="category"
                  value={c.code}
                  checked={c.code === category}
                  onChange={() => onCategory(c.code)}
                />
                <span>
                  <strong>{c.name}</strong>
                  <span class="muted small">{c.agency}</span>
                </span>
              </label>
            ))}
        </div>
      )}
    </fieldset>
  );
}

export function LocationStep({
  cfg,
  spot,
  onSpot,
  address,
  onAddress,
}: {
  cfg: AppConfig | null;
  spot: Spot | null;
  onSpot: (spot: Spot) => void;
  address: string;
  onAddress: (address: string) => void;
}) {
  const [locating, setLocating] = useState(false);
  const [geoError, setGeoError] = useState("");
  const [showMap, setShowMap] = useState(false);
  const pick = ({ lat, lon }: LatLon) => onSpot({ lat, lon, source: "map", accuracy_m: null });

  function failed(key: "citizen.gps_unavailable" | "citizen.gps_failed") {
    setLocating(false);
    setGeoError(t(key));
    setShowMap(true);
  }

  function locate() {
    if (!navigator.geolocation) return failed("citizen.gps_unavailable");
    setLocating(true);
    setGeoError("");
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setLocating(false);
        onSpot({
          lat: p.coords.latitude,
          lon: p.coords.longitude,
          source: "gps",
          accuracy_m: Math.round(p.coords.accuracy),
        });
      },
      () => failed("citizen.gps_failed"),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
    );
  }

  return (
    <fieldset class="field">
      <legend>{t("citizen.step_location")}</legend>
      <button
        type="button"
        class="btn btn-primary btn-block"
        onClick={locate}
        disabled={locating}
        data-testid="lapor-gps"
      >
        {locating ? t("citizen.gps_locating") : t("citizen.gps_use")}
      </button>
      <p role="status" class="small" data-testid="lapor-location">
        {spot
          ? spot.source === "gps"
            ? t("citizen.gps_found", { m: spot.accuracy_m ?? "?" })
            : t("citizen.map_picked")
          : ""}
      </p>
      <FormError text={geoError} />
      <button
        type="button"
        class="btn btn-secondary btn-block"
        aria-expanded={showMap}
        onClick={() => setShowMap(!showMap)}
      >
        {showMap ? t("citizen.map_hide") : t("citizen.map_show")}
      </button>
      {showMap && cfg && (
        <>
          <p class="small muted">{t("citizen.map_hint")}</p>
          <MapPicker center={cfg.city.center} pin={spot} tiles={cfg.map} onPick={pick} />
          <PinEntry
            idPrefix="lapor-pin"
            cityCenter={{ lat: cfg.city.center[0], lon: cfg.city.center[1] }}
            onPin={pick}
          />
        </>
      )}
      <TextField
        id="lapor-address"
        label={t("citizen.address")}
        value={address}
        onValue={onAddress}
        attrs={{ autocomplete: "street-address" }}
      />
    </fieldset>
  );
}

export function SimilarReports({
  nearby,
  busy,
  onFollow,
}: {
  nearby: Similar[];
  busy: boolean;
  onFollow: (reference: string) => void;
}) {
  if (nearby.length === 0) return null;
  return (
    <section class="card similar" aria-labelledby="similar-title" data-testid="lapor-similar">
      <h2 id="similar-title">{t("citizen.similar_title")}</h2>
      <p class="small">{t("citizen.similar_hint")}</p>
      <ul class="link-list">
        {nearby.map((n) => (
          <li key={n.reference} class="card">
            <p>
              <strong>{n.reference}</strong> · {n.status_text} · {formatDistance(n.distance_m)}
            </p>
            {n.description && <p class="small">{n.description}</p>}
            <button
              type="button"
              class="btn btn-secondary btn-block"
              disabled={busy}
              onClick={() => onFollow(n.reference)}
            >
              {t("citizen.follow_this")}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
