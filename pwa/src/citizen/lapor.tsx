/** Lapor: a citizen reports a problem from the phone, without an account, online or not. */
import { useEffect, useMemo, useState } from "preact/hooks";
import { PhotoPicker, type PickedPhoto } from "../field/photo-picker";
import { ApiError, NetworkError } from "../lib/api";
import { formatDistance, getLanguage, hasKey, t } from "../lib/i18n";
import { useStore } from "../lib/store";
import { PinEntry } from "../operator/pin-entry";
import { app } from "../shell/state";
import { PageTitle } from "../shell/ui";
import {
  type Category,
  categories,
  flushReports,
  follow,
  queuedReports,
  queueReport,
  type ReportAnswer,
  type Similar,
  sentReports,
  similar,
} from "./data";
import { GroupIcon } from "./icons";
import { MapPicker } from "./map-picker";
import { ReportDone } from "./report-done";

interface Spot {
  lat: number;
  lon: number;
  source: "gps" | "map";
  accuracy_m: number | null;
}

function groupName(group: string): string {
  const key = `citizen.group.${group}`;
  return hasKey(key) ? t(key) : group;
}

function errorText(err: unknown): string {
  if (err instanceof NetworkError) return t("error.network");
  if (err instanceof ApiError) return err.detail || err.code;
  return t("error.unknown");
}

export function Lapor() {
  const s = useStore(app);
  const [cats, setCats] = useState<Category[] | null>(null);
  const [loadError, setLoadError] = useState("");
  const [group, setGroup] = useState<string | null>(null);
  const [category, setCategory] = useState<string>("");
  const [spot, setSpot] = useState<Spot | null>(null);
  const [locating, setLocating] = useState(false);
  const [geoError, setGeoError] = useState("");
  const [showMap, setShowMap] = useState(false);
  const [nearby, setNearby] = useState<Similar[]>([]);
  const [photos, setPhotos] = useState<PickedPhoto[]>([]);
  const [description, setDescription] = useState("");
  const [address, setAddress] = useState("");
  const [name, setName] = useState("");
  const [phone, setPhone] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [done, setDone] = useState<ReportAnswer | null>(null);
  const [queuedKey, setQueuedKey] = useState<string | null>(null);

  const load = () => {
    setLoadError("");
    categories()
      .then(setCats)
      .catch((err) => setLoadError(errorText(err)));
  };
  useEffect(load, [getLanguage()]);

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

  useEffect(() => {
    if (!category || !spot) {
      setNearby([]);
      return;
    }
    similar(category, spot.lat, spot.lon)
      .then((list) => setNearby(list.filter((n) => n.followable)))
      .catch(() => setNearby([]));
  }, [category, spot?.lat, spot?.lon]);

  const groups = useMemo(() => {
    const out: string[] = [];
    for (const c of cats ?? []) if (!out.includes(c.group)) out.push(c.group);
    return out;
  }, [cats]);

  function locate() {
    if (!navigator.geolocation) {
      setGeoError(t("citizen.gps_unavailable"));
      setShowMap(true);
      return;
    }
    setLocating(true);
    setGeoError("");
    navigator.geolocation.getCurrentPosition(
      (p) => {
        setLocating(false);
        setSpot({
          lat: p.coords.latitude,
          lon: p.coords.longitude,
          source: "gps",
          accuracy_m: Math.round(p.coords.accuracy),
        });
      },
      () => {
        setLocating(false);
        setGeoError(t("citizen.gps_failed"));
        setShowMap(true);
      },
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 30_000 },
    );
  }

  async function followCase(reference: string) {
    setBusy(true);
    setError("");
    try {
      setDone(
        await follow(reference, {
          name: name.trim() || null,
          phone: phone.trim() || null,
          language: getLanguage(),
        }),
      );
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    setError("");
    if (!category) return setError(t("citizen.need_category"));
    if (!spot) return setError(t("citizen.need_location"));
    if (!description.trim()) return setError(t("citizen.need_description"));
    setBusy(true);
    try {
      const item = await queueReport(
        {
          category,
          description: description.trim(),
          lat: spot.lat,
          lon: spot.lon,
          location_source: spot.source,
          accuracy_m: spot.accuracy_m,
          address: address.trim(),
          name: name.trim() || null,
          phone: phone.trim() || null,
          language: getLanguage(),
        },
        photos.map((p) => p.blob),
      );
      const sent = (await flushReports()).find((r) => r.key === item.key);
      const still = (await queuedReports()).find((i) => i.key === item.key);
      if (sent) setDone(sent.answer);
      else if (still?.error) setError(still.error.detail || still.error.code);
      else setQueuedKey(item.key);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  if (done) return <ReportDone answer={done} />;

  if (queuedKey) {
    return (
      <section class="screen citizen" data-testid="lapor-queued">
        <PageTitle>{t("citizen.queued_title")}</PageTitle>
        <p class="notice" role="status">
          {t("citizen.queued_body")}
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </section>
    );
  }

  const cfg = s.config;
  const catsOfGroup = (cats ?? []).filter((c) => c.group === group);

  return (
    <section class="screen citizen" data-testid="lapor-screen">
      <PageTitle>{t("citizen.lapor_title")}</PageTitle>
      <p class="muted">{t("citizen.lapor_intro")}</p>
      <p class="notice">{t("citizen.emergency_hint")}</p>
      <form onSubmit={submit} noValidate>
        <fieldset class="field">
          <legend>{t("citizen.step_category")}</legend>
          {loadError && (
            <p class="error" role="alert">
              {loadError}{" "}
              <button type="button" class="btn btn-secondary" onClick={load}>
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
                  setCategory("");
                }}
              >
                <GroupIcon group={g} />
                <span>{groupName(g)}</span>
              </button>
            ))}
          </div>
          {group && (
            <div class="choices" role="radiogroup" aria-label={groupName(group)}>
              {catsOfGroup.map((c) => (
                <label key={c.code} class={`choice ${c.code === category ? "selected" : ""}`}>
                  <input
                    type="radio"
                    name="category"
                    value={c.code}
                    checked={c.code === category}
                    onChange={() => setCategory(c.code)}
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
          {geoError && (
            <p class="error" role="alert">
              {geoError}
            </p>
          )}
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
              <MapPicker
                center={cfg.city.center}
                pin={spot}
                tileUrl={cfg.map.tile_url}
                attribution={cfg.map.attribution}
                maxZoom={cfg.map.max_zoom}
                onPick={(lat, lon) => setSpot({ lat, lon, source: "map", accuracy_m: null })}
              />
              <PinEntry
                idPrefix="lapor-pin"
                cityCenter={{ lat: cfg.city.center[0], lon: cfg.city.center[1] }}
                onPin={({ lat, lon }) => setSpot({ lat, lon, source: "map", accuracy_m: null })}
              />
            </>
          )}
          <label class="field" for="lapor-address">
            <span>{t("citizen.address")}</span>
            <input
              id="lapor-address"
              type="text"
              autocomplete="street-address"
              value={address}
              onInput={(e) => setAddress((e.target as HTMLInputElement).value)}
            />
          </label>
        </fieldset>

        {nearby.length > 0 && (
          <section class="card similar" aria-labelledby="similar-title" data-testid="lapor-similar">
            <h2 id="similar-title">{t("citizen.similar_title")}</h2>
            <p class="small">{t("citizen.similar_hint")}</p>
            <ul class="link-list">
              {nearby.map((n) => (
                <li key={n.reference} class="card">
                  <p>
                    <strong>{n.reference}</strong> · {n.status_text} ·{" "}
                    {formatDistance(n.distance_m)}
                  </p>
                  {n.description && <p class="small">{n.description}</p>}
                  <button
                    type="button"
                    class="btn btn-secondary btn-block"
                    disabled={busy}
                    onClick={() => void followCase(n.reference)}
                  >
                    {t("citizen.follow_this")}
                  </button>
                </li>
              ))}
            </ul>
          </section>
        )}

        <fieldset class="field">
          <legend>{t("citizen.step_photo")}</legend>
          <PhotoPicker photos={photos} onChange={setPhotos} required={false} />
        </fieldset>

        <label class="field" for="lapor-description">
          <span>{t("citizen.description")}</span>
          <textarea
            id="lapor-description"
            rows={4}
            required
            aria-describedby="lapor-description-public"
            value={description}
            onInput={(e) => setDescription((e.target as HTMLTextAreaElement).value)}
          />
        </label>
        <p class="notice small" id="lapor-description-public" data-testid="description-public">
          {t("citizen.description_public")}
        </p>

        <fieldset class="field">
          <legend>{t("citizen.step_contact")}</legend>
          <p class="small muted">{t("citizen.contact_hint")}</p>
          <label class="field" for="lapor-name">
            <span>{t("citizen.name")}</span>
            <input
              id="lapor-name"
              type="text"
              autocomplete="name"
              value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field" for="lapor-phone">
            <span>{t("citizen.phone")}</span>
            <input
              id="lapor-phone"
              type="tel"
              autocomplete="tel"
              inputMode="tel"
              value={phone}
              onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
            />
          </label>
        </fieldset>

        {error && (
          <p class="error" role="alert" data-testid="lapor-error">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-xl btn-block" disabled={busy}>
          {busy ? t("citizen.sending") : t("citizen.submit")}
        </button>
      </form>
    </section>
  );
}
