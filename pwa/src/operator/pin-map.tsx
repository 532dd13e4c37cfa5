/** The intake's map: the operator clicks to place the case's pin; keyboard users place it at the centre. */
import type { LatLon } from "../lib/coords";
import { t } from "../lib/i18n";
import type { Tiles } from "../lib/use-map";
import { PinPicker } from "../ui/form-pin-picker";

export type Point = LatLon;

export interface PinMapProps {
  center: Point;
  pin: Point | null;
  onPin: (p: Point) => void;
  tiles: Tiles;
  /** The caller's AML fix, drawn as its accuracy circle. */
  accuracy?: { lat: number; lon: number; radius_m: number } | null;
}

export function PinMap({ center, pin, onPin, tiles, accuracy }: PinMapProps) {
  return (
    <PinPicker
      tiles={tiles}
      center={[center.lat, center.lon]}
      zoom={14}
      pin={pin}
      onPin={onPin}
      class="intake-map"
      testid="intake-map"
      label={t("intake.map_label")}
      centreLabel={t("intake.pin_centre")}
      accuracy={accuracy}
    />
  );
}
