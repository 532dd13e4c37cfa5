/**
 * A warning's area on a Leaflet map: shown (the detail screen), or drawn corner by corner (the
 * draft form: a click adds a corner; undo and clear are buttons beside the map). Tiles from
 * /api/config; without tiles the map still shows the city's kecamatan (`createMap`).
 */
import L from "leaflet";
import { useEffect } from "preact/hooks";
import { t } from "../lib/i18n";
import { pinMarker } from "../lib/map";
import { type Tiles, tileSetup, useMap } from "../lib/use-map";

const RED = "#a3201b";

interface Placed {
  tiles: Tiles;
  center: [number, number];
}

/** The map of either kind, and its box: a labelled region (Leaflet's controls are inside). */
function useWarnMap(p: Placed, label: string, testid: string, draw = false) {
  const { ref, map } = useMap(
    tileSetup(p.tiles, { center: p.center, zoom: 12, options: { scrollWheelZoom: false } }),
  );
  const box = (
    <section aria-label={label}>
      <div ref={ref} class={draw ? "warn-map warn-map-draw" : "warn-map"} data-testid={testid} />
    </section>
  );
  return { map, box };
}

export function AreaShown(p: Placed & { area: object }) {
  const { map, box } = useWarnMap(p, t("warn.area_map"), "warning-area-map");
  useEffect(() => {
    if (!map) return;
    const layer = L.geoJSON(p.area as GeoJSON.GeoJsonObject, {
      style: { color: RED, weight: 3, dashArray: "6 4", fillOpacity: 0.12 },
    }).addTo(map);
    const bounds = layer.getBounds();
    // No animation: leaving the screen mid-zoom would leave Leaflet moving a removed map.
    if (bounds.isValid()) map.fitBounds(bounds, { maxZoom: 15, animate: false });
    return () => void layer.remove();
  }, [map, p.area]);
  return box;
}

/** Corners as [lat, lon]; `onChange` gets the new list after each click. */
export function AreaDrawn(
  p: Placed & {
    corners: [number, number][];
    onChange: (corners: [number, number][]) => void;
  },
) {
  const { map, box } = useWarnMap(p, t("warn.draw_map"), "warning-draw-map", true);
  useEffect(() => {
    if (!map) return;
    const add = (e: L.LeafletMouseEvent) =>
      p.onChange([...p.corners, [e.latlng.lat, e.latlng.lng]]);
    map.on("click", add);
    return () => {
      map.off("click", add);
    };
  }, [map, p.corners, p.onChange]);
  useEffect(() => {
    if (!map || p.corners.length === 0) return;
    const style = { color: RED, weight: 3, fillOpacity: 0.15, interactive: false };
    const shape =
      p.corners.length >= 3 ? L.polygon(p.corners, style) : L.polyline(p.corners, style);
    const dots = p.corners.map((c) => pinMarker(c, 5, RED));
    const layer = L.layerGroup([shape, ...dots]).addTo(map);
    return () => void layer.remove();
  }, [map, p.corners]);
  return box;
}
