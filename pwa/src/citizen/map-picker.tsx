/** Where the problem is: a pin on a Leaflet map; a tap (or a drag of the pin) moves it. */
import L from "leaflet";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../lib/i18n";
import { createMap } from "../lib/map";

export interface MapPickerProps {
  center: [number, number];
  pin: { lat: number; lon: number } | null;
  tileUrl: string;
  attribution: string;
  maxZoom: number;
  onPick: (lat: number, lon: number) => void;
}

export function MapPicker({ center, pin, tileUrl, attribution, maxZoom, onPick }: MapPickerProps) {
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const marker = useRef<L.CircleMarker | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;

  useEffect(() => {
    if (!el.current) return;
    const m = createMap(el.current, {
      tileUrl,
      attribution,
      maxZoom,
      center: pin ? [pin.lat, pin.lon] : center,
      zoom: pin ? 16 : 13,
      options: { scrollWheelZoom: false },
    });
    m.on("click", (e: L.LeafletMouseEvent) => pick.current(e.latlng.lat, e.latlng.lng));
    map.current = m;
    return () => {
      m.remove();
      map.current = null;
      marker.current = null;
    };
  }, [tileUrl]);

  useEffect(() => {
    const m = map.current;
    if (!m || !pin) return;
    if (!marker.current) {
      marker.current = L.circleMarker([pin.lat, pin.lon], {
        radius: 12,
        color: "#ffffff",
        weight: 3,
        fillColor: "#a3201b",
        fillOpacity: 1,
      }).addTo(m);
    } else {
      marker.current.setLatLng([pin.lat, pin.lon]);
    }
    m.setView([pin.lat, pin.lon], Math.max(m.getZoom(), 16));
  }, [pin?.lat, pin?.lon]);

  return (
    <div
      ref={el}
      class="map citizen-map"
      data-testid="lapor-map"
      role="application"
      aria-label={t("citizen.map_label")}
    />
  );
}
