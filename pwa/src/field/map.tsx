/** The case's location on a Leaflet map (tiles from /api/config), with the officer's position. */
import L from "leaflet";
import { useEffect } from "preact/hooks";
import { t } from "../lib/i18n";
import { pinMarker } from "../lib/map";
import { type Tiles, tileSetup, useMap } from "../lib/use-map";

export interface CaseMapProps {
  lat: number;
  lon: number;
  here: { lat: number; lon: number } | null;
  map: Tiles;
}

export function CaseMap({ lat, lon, here, map: tiles }: CaseMapProps) {
  const { ref, map } = useMap(
    tileSetup(tiles, {
      center: [lat, lon],
      zoom: 16,
      // A map inside a scrolling page: one finger scrolls the page, two move the map.
      options: { scrollWheelZoom: false, dragging: !L.Browser.mobile },
    }),
  );

  useEffect(() => {
    if (!map) return;
    const marker = pinMarker([lat, lon]).addTo(map);
    return () => marker.remove();
  }, [map, lat, lon]);

  useEffect(() => {
    if (!map || !here) return;
    const you = pinMarker([here.lat, here.lon], 8, "#0b57d0")
      .bindTooltip(t("case.map_you"))
      .addTo(map);
    map.fitBounds(L.latLngBounds([lat, lon], [here.lat, here.lon]).pad(0.3), { maxZoom: 16 });
    return () => you.remove();
  }, [map, here?.lat, here?.lon]);

  return (
    <section aria-label={t("case.map")}>
      <div ref={ref} class="map" data-testid="case-map" />
    </section>
  );
}
