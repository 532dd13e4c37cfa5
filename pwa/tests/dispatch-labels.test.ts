import { describe, expect, it } from "vitest";
import { type Box, nearCluster, placeLabels } from "../src/dispatch/cluster";

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe("placeLabels", () => {
  it("puts a lone label to the right of its point, at full width", () => {
    const { placed, hidden } = placeLabels(
      [{ item: "TRC DLHK 1", x: 100, y: 100, w: 90, h: 20 }],
      [],
    );
    expect(hidden).toEqual([]);
    expect(placed[0].box).toEqual({ x: 114, y: 90, w: 90, h: 20 });
  });

  it("never lets labels overlap each other or the markers", () => {
    const markers: Box[] = [{ x: 110, y: 85, w: 30, h: 30 }];
    const labels = ["Regu Damkar Mandonga", "Regu Damkar Poasia", "Tim SAR Kendari"].map(
      (item, i) => ({ item, x: 100 + i * 4, y: 100 + i * 4, w: 150, h: 20 }),
    );
    const { placed, hidden } = placeLabels(labels, markers);
    expect(placed.length + hidden.length).toBe(3);
    expect(placed.length).toBe(3);
    const boxes = placed.map((p) => p.box);
    for (const [i, a] of boxes.entries()) {
      expect(markers.some((m) => overlaps(m, a))).toBe(false);
      for (const b of boxes.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    }
  });

  it("leaves a label out when there is no free place rather than overlapping", () => {
    const wall: Box[] = [{ x: 0, y: 0, w: 1000, h: 1000 }];
    const { placed, hidden } = placeLabels([{ item: "X", x: 500, y: 500, w: 50, h: 20 }], wall);
    expect(placed).toEqual([]);
    expect(hidden).toEqual(["X"]);
  });
});

describe("nearCluster", () => {
  it("merges points closer than the distance even across a grid line, keeps others apart", () => {
    const pts = [
      { item: "a", x: 55, y: 10 },
      { item: "b", x: 58, y: 12 },
      { item: "c", x: 200, y: 10 },
    ];
    const groups = nearCluster(pts, 20);
    expect(groups.map((g) => g.items)).toEqual([["a", "b"], ["c"]]);
  });
});
