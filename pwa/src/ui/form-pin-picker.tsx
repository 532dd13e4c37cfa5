/**
 * The one pin picker: a Leaflet map where a tap or click places the pin, used by the citizen's
 * report and the operator's intake (their differences are props). The pin is drawn and kept in
 * view; with `pinZoom` the map opens at the pin and zooms in to it, otherwise it only pans when
 * the pin (placed by coordinates or the gazetteer) is off screen. With `centreLabel` a button
 * places the pin at the map's centre (keyboard users) and a line says where the pin is.
 *
 * Import it only from lazily loaded screens: Leaflet is never part of the first screen.
 */
import type L from "leaflet";
import { useEffect, useRef } from "preact/hooks";
import type { LatLon } from "../lib/coords";
import { t } from "../lib/i18n";
import { accuracyCircle, pinMarker } from "../lib/map";
import { type Tiles, tileSetup, useMap } from "../lib/use-map";

export interface PinPickerProps {
  tiles: Tiles;
  center: [number, number];
  pin: LatLon | null;
  onPin: (p: LatLon) => void;
  /** The zoom the map opens at without a pin. */
  zoom: number;
  /** Open at the pin and zoom in at least this far when it moves. */
  pinZoom?: number;
  options?: L.MapOptions;
  /** The map element's class, test id and accessible name. */
  class: string;
  testid: string;
  label: string;
  centreLabel?: string;
  /** A reported position drawn as its accuracy circle (the caller's AML fix), apart from the pin. */
  accuracy?: { lat: number; lon: number; radius_m: number } | null;
}

export function PinPicker(props: PinPickerProps) {
  const { pin, pinZoom } = props;
  const { ref, map } = useMap(
    tileSetup(props.tiles, {
      center: pin && pinZoom ? [pin.lat, pin.lon] : props.center,
      zoom: pin && pinZoom ? pinZoom : props.zoom,
      options: props.options,
    }),
  );
  const marker = useRef<L.CircleMarker | null>(null);
  const accuracy = props.accuracy ?? null;
  const onPin = useRef(props.onPin);
  onPin.current = props.onPin;

  useEffect(() => {
    if (!map) return;
    map.on("click", (e: L.LeafletMouseEvent) =>
      onPin.current({ lat: e.latlng.lat, lon: e.latlng.lng }),
    );
    return () => {
      marker.current = null;
    };
  }, [map]);

  useEffect(() => {
    if (!map) return;
    if (!pin) {
      marker.current?.remove();
      marker.current = null;
      return;
    }
    const at: [number, number] = [pin.lat, pin.lon];
    if (marker.current) marker.current.setLatLng(at);
    else marker.current = pinMarker(at).addTo(map);
    if (pinZoom) map.setView(at, Math.max(map.getZoom(), pinZoom));
    else if (!map.getBounds().contains(at)) map.setView(at, map.getZoom(), { animate: false });
  }, [map, pin?.lat, pin?.lon]);

  useEffect(() => {
    if (!map || !accuracy) return;
    const circle = accuracyCircle([accuracy.lat, accuracy.lon], accuracy.radius_m).addTo(map);
    const bounds = circle.getBounds();
    if (!map.getBounds().contains(bounds)) map.fitBounds(bounds, { maxZoom: 17, animate: false });
    return () => {
      circle.remove();
    };
  }, [map, accuracy?.lat, accuracy?.lon, accuracy?.radius_m]);

  const element = (
    <div
      ref={ref}
      class={props.class}
      data-testid={props.testid}
      role="application"
      aria-label={props.label}
    />
  );
  if (!props.centreLabel) return element;

  const placeAtCentre = () => {
    const c = map?.getCenter();
    if (c) props.onPin({ lat: c.lat, lon: c.lng });
  };
  return (
    <div class="intake-map-wrap">
      {element}
      <div class="row wrap">
        <button type="button" class="btn btn-secondary" onClick={placeAtCentre}>
          {props.centreLabel}
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
