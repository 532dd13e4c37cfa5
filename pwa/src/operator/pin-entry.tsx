/**
 * Placing a pin without a base map: type coordinates (decimal or degrees-minutes-seconds), paste a
 * Plus Code (short codes are read near the city centre), or pick a kecamatan, kelurahan or
 * landmark from the gazetteer (`GET /api/places`). Used by the operator's intake and the citizen
 * report; it only calls `onPin`, the map shows the result.
 */
import "./pin-entry.css";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { type LatLon, parseCoordinates } from "../lib/coords";
import { type Key, t } from "../lib/i18n";
import { looksLikePlusCode, plusCodeToPoint } from "../lib/pluscode";
import { api } from "../lib/session";
import { TextField } from "../ui/form-field";

type PinPoint = LatLon;
type PlaceHit = Schema<"PlaceHit">;

export interface PinEntryProps {
  /** Where short Plus Codes are read from: the city centre. */
  cityCenter: PinPoint;
  onPin: (p: PinPoint) => void;
  disabled?: boolean;
  /** Prefix for element ids, so two entries could share a page. */
  idPrefix?: string;
}

export function PinEntry({ cityCenter, onPin, disabled, idPrefix = "pin" }: PinEntryProps) {
  const [typed, setTyped] = useState("");
  const [message, setMessage] = useState("");
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<PlaceHit[] | null>(null);
  const seq = useRef(0);

  const place = async () => {
    const text = typed.trim();
    if (!text) return;
    const point = looksLikePlusCode(text)
      ? await plusCodeToPoint(text, cityCenter)
      : parseCoordinates(text);
    if (!point) {
      setMessage(t("pin.unreadable"));
      return;
    }
    setMessage("");
    onPin(point);
  };

  // Search as the operator types, the latest answer wins.
  useEffect(() => {
    const q = query.trim();
    const mine = ++seq.current;
    if (q.length < 2) {
      setHits(null);
      return;
    }
    const timer = setTimeout(() => {
      api
        .request<PlaceHit[]>(`/api/places?q=${encodeURIComponent(q)}&limit=8`, { auth: false })
        .then((found) => mine === seq.current && setHits(found))
        .catch(() => mine === seq.current && setHits([]));
    }, 200);
    return () => clearTimeout(timer);
  }, [query]);

  return (
    <div class="pin-entry" data-testid="pin-entry">
      <div class="pin-entry-row">
        <TextField
          id={`${idPrefix}-coords`}
          label={t("pin.coords_label")}
          value={typed}
          onValue={setTyped}
          attrs={{
            inputMode: "text",
            autocomplete: "off",
            spellcheck: false,
            placeholder: t("pin.coords_example"),
            disabled,
            "data-testid": "pin-coords",
            onKeyDown: (e) => {
              // Enter places the pin; it must not submit the surrounding form.
              if (e.key === "Enter") {
                e.preventDefault();
                void place();
              }
            },
          }}
        />
        <button
          type="button"
          class="btn btn-secondary"
          disabled={disabled || !typed.trim()}
          data-testid="pin-coords-apply"
          onClick={() => void place()}
        >
          {t("pin.coords_apply")}
        </button>
      </div>
      {message && (
        <p class="small error" role="alert" data-testid="pin-coords-error">
          {message}
        </p>
      )}
      <TextField
        id={`${idPrefix}-place`}
        label={t("pin.place_label")}
        value={query}
        onValue={setQuery}
        attrs={{
          type: "search",
          autocomplete: "off",
          disabled,
          "data-testid": "place-search",
          onKeyDown: (e) => e.key === "Enter" && e.preventDefault(),
        }}
      />
      {hits !== null && (
        <ul class="plain-list pin-places" data-testid="place-results" aria-live="polite">
          {hits.length === 0 && <li class="muted">{t("pin.place_none")}</li>}
          {hits.map((h) => (
            <li key={h.id}>
              <button
                type="button"
                class="btn btn-secondary pin-place"
                disabled={disabled}
                onClick={() => {
                  onPin({ lat: h.lat, lon: h.lon });
                  setHits(null);
                  setQuery(h.name);
                }}
              >
                {h.name} <span class="muted">· {t(`pin.kind.${h.kind}` as Key)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
