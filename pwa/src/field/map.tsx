/** The case's location on a Leaflet map (tiles from /api/config), with the officer's position. */
import L from "leaflet";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../lib/i18n";
import { createMap } from "../lib/map";

export interface CaseMapProps {
  lat: number;
  lon: number;
  here: { lat: number; lon: number } | null;
  tileUrl: string;
  attribution: string;
  maxZoom: number;
}

export function CaseMap({ lat, lon, here, tileUrl, attribution, maxZoom }: CaseMapProps) {
  const el = useRef<HTMLDivElement>(null);
  const map = useRef<L.Map | null>(null);
  const youMarker = useRef<L.CircleMarker | null>(null);

  useEffect(() => {
    if (!el.current) return;
    const m = createMap(el.current, {
      tileUrl,
      attribution,
      maxZoom,
      center: [lat, lon],
      zoom: 16,
      // A map inside a scrolling page: one finger scrolls the page, two move the map.
      options: { scrollWheelZoom: false, dragging: !L.Browser.mobile },
    });
    L.circleMarker([lat, lon], {
      radius: 12,
      color: "#ffffff",
      weight: 3,
      fillColor: "#a3201b",
      fillOpacity: 1,
    }).addTo(m);
    map.current = m;
    return () => {
      m.remove();
      map.current = null;
    };
  }, [lat, lon, tileUrl]);

  useEffect(() => {
    const m = map.current;
    if (!m || !here) return;
    youMarker.current?.remove();
    youMarker.current = L.circleMarker([here.lat, here.lon], {
      radius: 8,
      color: "#ffffff",
      weight: 3,
      fillColor: "#0b57d0",
      fillOpacity: 1,
    })
      .bindTooltip(t("case.map_you"))
      .addTo(m);
    m.fitBounds(L.latLngBounds([lat, lon], [here.lat, here.lon]).pad(0.3), { maxZoom: 16 });
  }, [here?.lat, here?.lon]);

  return (
    <section aria-label={t("case.map")}>
      <div ref={el} class="map" data-testid="case-map" />
    </section>
  );
}
