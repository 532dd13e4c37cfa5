/** Reading an uploaded GeoJSON file in the browser, before PostGIS checks it for real. */

export interface Geometry {
  type: string;
  coordinates: unknown;
}

/** The geometry of a GeoJSON file's text; null when it holds none. */
export function geometryOf(text: string): Geometry | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const g = json as { type?: string; geometry?: unknown; features?: { geometry?: unknown }[] };
  if (g?.type === "FeatureCollection") return (g.features?.[0]?.geometry as Geometry) ?? null;
  if (g?.type === "Feature") return (g.geometry as Geometry) ?? null;
  return g && typeof g.type === "string" ? (g as Geometry) : null;
}

/** The middle of a geometry's extent (the area's centre when none is given). */
export function middle(g: Geometry): { lat: number; lon: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number") {
      xs.push(c[0]);
      ys.push(c[1] as number);
    } else if (Array.isArray(c)) for (const x of c) walk(x);
  };
  walk(g.coordinates);
  const mid = (v: number[]) => (v.length ? (Math.min(...v) + Math.max(...v)) / 2 : 0);
  return { lat: mid(ys), lon: mid(xs) };
}
