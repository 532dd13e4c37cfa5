/**
 * Hot spots on the city map: one coloured square per grid cell of the stats API's GeoJSON
 * (`/api/stats/hotspots?by=grid`), darker with more cases; a cell opens the cases inside it.
 * Loaded only with the dashboard (Leaflet is its own chunk).
 */
import L from "leaflet";
import { useEffect, useRef } from "preact/hooks";
import { t } from "../lib/i18n";
import { navigate } from "../lib/router";
import { useMap } from "../lib/use-map";
import { casesHref, type Filter, type Hotspots } from "./query";

// Sequential yellow-to-dark-red scale; the map is also summarised in the district table.
const SCALE = ["#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04"];

export function colourFor(count: number, max: number): string {
  if (max <= 0) return SCALE[0];
  const i = Math.min(SCALE.length - 1, Math.floor((count / max) * SCALE.length));
  return SCALE[i];
}

export interface HeatMapProps {
  hotspots: Hotspots;
  filter: Filter;
  tileUrl: string;
  attribution: string;
  maxZoom: number;
  center: [number, number];
  bbox: [number, number, number, number] | null;
}

export default function HeatMap({
  hotspots,
  filter,
  tileUrl,
  attribution,
  maxZoom,
  center,
  bbox,
}: HeatMapProps) {
  const { ref, map } = useMap({
    tileUrl,
    attribution,
    maxZoom,
    options: { scrollWheelZoom: false },
  });
  const layer = useRef<L.LayerGroup | null>(null);

  useEffect(() => {
    if (!map) return;
    if (bbox) {
      map.fitBounds([
        [bbox[1], bbox[0]],
        [bbox[3], bbox[2]],
      ]);
    } else map.setView(center, 12);
    const group = L.layerGroup().addTo(map);
    layer.current = group;
    return () => {
      group.remove();
      layer.current = null;
    };
  }, [map]);

  useEffect(() => {
    const group = layer.current;
    if (!group) return;
    group.clearLayers();
    const max = Math.max(0, ...hotspots.features.map((f) => f.properties.count));
    for (const f of hotspots.features) {
      const cell = f.properties.cell;
      if (!cell) continue;
      const [w, s, e, n] = cell;
      L.rectangle(
        [
          [s, w],
          [n, e],
        ],
        {
          color: "#5a1a02",
          weight: 1,
          fillColor: colourFor(f.properties.count, max),
          fillOpacity: 0.75,
        },
      )
        .bindTooltip(t("dash.map_cell", { n: f.properties.count }))
        .on("click", () => navigate(casesHref(filter, { bbox: cell.join(",") })))
        .addTo(group);
    }
    const cells = hotspots.features.flatMap((f) => (f.properties.cell ? [f.properties.cell] : []));
    if (cells.length && map) {
      // Frame the hot spots, not the whole service area, but never closer than a street.
      const bounds = L.latLngBounds(
        cells.flatMap(([w, s, e, n]) => [L.latLng(s, w), L.latLng(n, e)]),
      );
      map.fitBounds(bounds.pad(0.5), { maxZoom: 14, animate: false });
    }
  }, [map, hotspots]);

  return (
    <section aria-label={t("dash.map_label", { n: hotspots.meta.total })}>
      <div
        ref={ref}
        class="map dash-map"
        data-testid="heatmap"
        data-cells={hotspots.features.length}
      />
    </section>
  );
}
