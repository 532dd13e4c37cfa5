/**
 * The one hook behind every Leaflet map on a screen: `createMap` (base tiles, tile notice, the
 * city's geography) in the container `ref` points at, once, and removed on unmount. `map` is
 * state, so a screen's own layers go in an effect that depends on it.
 *
 * Import it only from lazily loaded screens: Leaflet is never part of the first screen.
 */
import type L from "leaflet";
import type { RefObject } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schema } from "./api-types";
import { createMap, type MapSetup } from "./map";

/** The base map as /api/config describes it. */
export type Tiles = Schema<"MapOut">;

/** A map set-up from the configured tiles and the view a screen wants. */
export function tileSetup(tiles: Tiles, view: Omit<MapSetup, keyof MapSetupTiles> = {}): MapSetup {
  return {
    tileUrl: tiles.tile_url,
    attribution: tiles.attribution,
    maxZoom: tiles.max_zoom,
    ...view,
  };
}

type MapSetupTiles = Pick<MapSetup, "tileUrl" | "attribution" | "maxZoom">;

/**
 * Create the map when the container mounts; `setup` is read then (a new tile URL makes a new
 * map, anything else a screen changes later through `map`). A `null` set-up waits: a screen whose
 * tiles come from /api/config passes `null` until the configuration has arrived.
 */
export function useMap(setup: MapSetup | null): {
  ref: RefObject<HTMLDivElement | null>;
  map: L.Map | null;
} {
  const ref = useRef<HTMLDivElement>(null);
  const [map, setMap] = useState<L.Map | null>(null);
  const initial = useRef(setup);
  initial.current = setup;

  useEffect(() => {
    if (!ref.current || !initial.current) return;
    const m = createMap(ref.current, initial.current);
    setMap(m);
    return () => {
      m.remove();
      setMap(null);
    };
  }, [setup?.tileUrl]);

  return { ref, map };
}
