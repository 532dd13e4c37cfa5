/** Where the problem is: a pin on a Leaflet map; a tap moves it, and the map zooms in to it. */
import type { LatLon } from "../lib/coords";
import { t } from "../lib/i18n";
import type { Tiles } from "../lib/use-map";
import { PinPicker } from "../ui/form-pin-picker";

export interface MapPickerProps {
  center: [number, number];
  pin: LatLon | null;
  tiles: Tiles;
  onPick: (p: LatLon) => void;
}

export function MapPicker({ center, pin, tiles, onPick }: MapPickerProps) {
  return (
    <PinPicker
      tiles={tiles}
      center={center}
      zoom={13}
      pinZoom={16}
      options={{ scrollWheelZoom: false }}
      pin={pin}
      onPin={onPick}
      class="map citizen-map"
      testid="lapor-map"
      label={t("citizen.map_label")}
    />
  );
}
