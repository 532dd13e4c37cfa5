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

/**
 * Distance clustering for a few markers that must never overlap (the teams): a point joins the
 * first cluster whose centre is closer than `distance` pixels, else starts its own. Unlike the
 * grid, two points on either side of a cell edge still merge.
 */
export function nearCluster<T>(points: readonly Projected<T>[], distance: number): Cluster<T>[] {
  const out: Cluster<T>[] = [];
  for (const p of points) {
    const c = out.find((k) => Math.hypot(k.x - p.x, k.y - p.y) < distance);
    if (c) {
      c.x = (c.x * c.items.length + p.x) / (c.items.length + 1);
      c.y = (c.y * c.items.length + p.y) / (c.items.length + 1);
      c.items.push(p.item);
    } else {
      out.push({ items: [p.item], x: p.x, y: p.y });
    }
  }
  return out;
}

/** A screen rectangle (pixels, top-left corner and size). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface LabelRequest<T> {
  item: T;
  /** The point the label names (its marker's centre). */
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlacedLabel<T> {
  item: T;
  box: Box;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/**
 * Collision-aware labels: each label goes beside its point (right, left, above, below, then the
 * corners, then one step further out), in the first place inside the map (`within`) that
 * overlaps no marker and no label already placed. A label with no free place is left out (`hidden`): the screen says so beside the
 * marker's own title and lists the team elsewhere, rather than drawing text over text.
 */
export function placeLabels<T>(
  labels: readonly LabelRequest<T>[],
  obstacles: readonly Box[],
  gap = 14,
  within: Box | null = null,
): { placed: PlacedLabel<T>[]; hidden: T[] } {
  // Inside the visible map only: a label past its edge would be cut.
  const inside = (b: Box) =>
    !within ||
    (b.x >= within.x &&
      b.y >= within.y &&
      b.x + b.w <= within.x + within.w &&
      b.y + b.h <= within.y + within.h);
  const taken: Box[] = [...obstacles];
  const placed: PlacedLabel<T>[] = [];
  const hidden: T[] = [];
  for (const l of labels) {
    let found: Box | null = null;
    for (const r of [gap, gap * 2.5]) {
      const candidates: [number, number][] = [
        [l.x + r, l.y - l.h / 2],
        [l.x - r - l.w, l.y - l.h / 2],
        [l.x - l.w / 2, l.y - r - l.h],
        [l.x - l.w / 2, l.y + r],
        [l.x + r, l.y - r - l.h],
        [l.x + r, l.y + r],
        [l.x - r - l.w, l.y - r - l.h],
        [l.x - r - l.w, l.y + r],
      ];
      for (const [x, y] of candidates) {
        const box = { x, y, w: l.w, h: l.h };
        if (inside(box) && !taken.some((b) => overlaps(b, box))) {
          found = box;
          break;
        }
      }
      if (found) break;
    }
    if (found) {
      taken.push(found);
      placed.push({ item: l.item, box: found });
    } else {
      hidden.push(l.item);
    }
  }
  return { placed, hidden };
}
