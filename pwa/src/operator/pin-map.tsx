/** A Leaflet map the operator clicks to place the case's pin; keyboard users place it at the centre. */
import L from "leaflet";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../lib/i18n";
import { createMap } from "../lib/map";

export interface Point {
  lat: number;
  lon: number;
}

export interface PinMapProps {
  center: Point;
  pin: Point | null;
  onPin: (p: Point) => void;
  tileUrl: string;
  attribution: string;
  maxZoom: number;
}

export function PinMap({ center, pin, onPin, tileUrl, attribution, maxZoom }: PinMapProps) {
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const marker = useRef<L.CircleMarker | null>(null);
  const onPinRef = useRef(onPin);
  onPinRef.current = onPin;

  useEffect(() => {
    if (!el.current) return;
    const m = createMap(el.current, {
      tileUrl,
      attribution,
      maxZoom,
      center: [center.lat, center.lon],
      zoom: 14,
    });
    m.on("click", (e: L.LeafletMouseEvent) =>
      onPinRef.current({ lat: e.latlng.lat, lon: e.latlng.lng }),
    );
    map.current = m;
    return () => {
      m.remove();
      map.current = null;
      marker.current = null;
    };
  }, [tileUrl]);

  useEffect(() => {
    const m = map.current;
    if (!m) return;
    if (!pin) {
      marker.current?.remove();
      marker.current = null;
      return;
    }
    // A pin placed by coordinates or the gazetteer may be off screen: bring it into view.
    if (!m.getBounds().contains([pin.lat, pin.lon]))
      m.setView([pin.lat, pin.lon], m.getZoom(), { animate: false });
    if (marker.current) marker.current.setLatLng([pin.lat, pin.lon]);
    else {
      marker.current = L.circleMarker([pin.lat, pin.lon], {
        radius: 11,
        color: "#ffffff",
        weight: 3,
        fillColor: "#a3201b",
        fillOpacity: 1,
      }).addTo(m);
    }
  }, [pin?.lat, pin?.lon]);

  const placeAtCentre = () => {
    const c = map.current?.getCenter();
    if (c) onPin({ lat: c.lat, lon: c.lng });
  };

  return (
    <div class="intake-map-wrap">
      <div
        ref={el}
        class="intake-map"
        data-testid="intake-map"
        role="application"
        aria-label={t("intake.map_label")}
      />
      <div class="row wrap">
        <button type="button" class="btn btn-secondary" onClick={placeAtCentre}>
          {t("intake.pin_centre")}
        </button>
        <span class="muted" data-testid="pin-status" aria-live="polite">
          {pin
            ? t("intake.pin_set", { lat: pin.lat.toFixed(5), lon: pin.lon.toFixed(5) })
            : t("intake.pin_none")}
        </span>
      </div>
    </div>
  );
}
