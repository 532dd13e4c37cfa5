/**
 * The areas drawn on a map: every boundary thin, the chosen one (just uploaded, or the area of
 * a routing rule being made) bold and in view. Tiles from /api/config; Leaflet stays in the
 * console's own chunk.
 */
import L from "leaflet";
import { useEffect } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { pinMarker } from "../lib/map";
import { type Tiles, tileSetup, useMap } from "../lib/use-map";

type Area = Schema<"AreaOut">;

export function AreaMap(p: {
  tiles: Tiles;
  center: [number, number];
  areas: Area[];
  chosen: number | null;
  /** A point to mark (the routing preview's place). */
  point?: { lat: number; lon: number } | null;
  onPoint?: (p: { lat: number; lon: number }) => void;
}) {
  const { ref, map } = useMap(
    tileSetup(p.tiles, { center: p.center, zoom: 11, options: { scrollWheelZoom: false } }),
  );

  useEffect(() => {
    if (!map) return;
    const layers = p.areas
      .filter((a) => a.boundary)
      .map((a) => {
        const bold = a.id === p.chosen;
        const layer = L.geoJSON(a.boundary as unknown as GeoJSON.GeoJsonObject, {
          style: { color: bold ? "#a3201b" : "#1d4f91", weight: bold ? 4 : 1, fillOpacity: 0.08 },
        })
          .bindTooltip(a.name)
          .addTo(map);
        if (bold) map.fitBounds(layer.getBounds(), { maxZoom: 15 });
        return layer;
      });
    return () => {
      for (const layer of layers) layer.remove();
    };
  }, [map, p.areas, p.chosen]);

  useEffect(() => {
    if (!map || !p.onPoint) return;
    const pick = (e: L.LeafletMouseEvent) => p.onPoint?.({ lat: e.latlng.lat, lon: e.latlng.lng });
    map.on("click", pick);
    return () => {
      map.off("click", pick);
    };
  }, [map, p.onPoint]);

  useEffect(() => {
    if (!map || !p.point) return;
    const marker = pinMarker([p.point.lat, p.point.lon]).addTo(map);
    return () => {
      marker.remove();
    };
  }, [map, p.point?.lat, p.point?.lon]);

  return (
    <div
      ref={ref}
      class="admin-map"
      data-testid="area-map"
      role="application"
      aria-label={t("admin.area.map")}
    />
  );
}
