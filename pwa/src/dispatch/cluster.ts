/**
 * Grid clustering for the dispatch map: points closer than a cell (in screen pixels at the current
 * zoom) become one cluster. Simple, deterministic and fast enough for a few thousand cases; it
 * saves a dependency (leaflet.markercluster) the console would otherwise carry.
 */

export interface Projected<T> {
  item: T;
  x: number;
  y: number;
}

export interface Cluster<T> {
  items: T[];
  x: number;
  y: number;
}

export function gridCluster<T>(points: readonly Projected<T>[], cell = 56): Cluster<T>[] {
  const cells = new Map<string, Cluster<T>>();
  for (const p of points) {
    const key = `${Math.floor(p.x / cell)}:${Math.floor(p.y / cell)}`;
    const c = cells.get(key);
    if (c) {
      c.x = (c.x * c.items.length + p.x) / (c.items.length + 1);
      c.y = (c.y * c.items.length + p.y) / (c.items.length + 1);
      c.items.push(p.item);
    } else {
      cells.set(key, { items: [p.item], x: p.x, y: p.y });
    }
  }
  return [...cells.values()];
}
