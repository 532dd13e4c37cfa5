import { describe, expect, it } from "vitest";
import { TileLru, type TileStore, tilePattern } from "../src/lib/tile-cache";

/** An in-memory Cache with the Cache API's order: a put (new or again) goes to the end. */
class MemoryStore implements TileStore {
  readonly entries = new Map<string, Response>();
  async match(url: string) {
    return this.entries.get(url)?.clone();
  }
  async put(url: string, response: Response) {
    this.entries.delete(url);
    this.entries.set(url, response);
  }
  async delete(url: string) {
    return this.entries.delete(url);
  }
  async keys() {
    return [...this.entries.keys()].map((url) => ({ url }));
  }
}

const tile = (n: number) => `https://tile.example/15/${n}/1.png`;

describe("tile cache", () => {
  it("never keeps more than its bound, dropping the least recently used", async () => {
    const store = new MemoryStore();
    const lru = new TileLru(async () => store, 5);
    let fetched = 0;
    const fetchTile = async () => {
      fetched += 1;
      return new Response("png", { status: 200 });
    };
    for (let i = 0; i < 5; i++) await lru.get(tile(i), fetchTile);
    await lru.get(tile(0), fetchTile); // seen again: now the most recent
    for (let i = 5; i < 8; i++) await lru.get(tile(i), fetchTile);
    expect(store.entries.size).toBe(5);
    expect([...store.entries.keys()]).toEqual([tile(4), tile(0), tile(5), tile(6), tile(7)]);
    expect(fetched).toBe(8); // the second look at tile 0 came from the cache
  });

  it("keeps no failed tile and passes the failure on", async () => {
    const store = new MemoryStore();
    const lru = new TileLru(async () => store, 5);
    const res = await lru.get(tile(1), async () => new Response("", { status: 404 }));
    expect(res.status).toBe(404);
    expect(store.entries.size).toBe(0);
    await expect(
      lru.get(tile(2), async () => {
        throw new TypeError("offline");
      }),
    ).rejects.toThrow("offline");
  });

  it("holds the default bound of 2,000 tiles", async () => {
    const store = new MemoryStore();
    const lru = new TileLru(async () => store);
    for (let i = 0; i < 2100; i++) await lru.get(tile(i), async () => new Response("png"));
    expect(store.entries.size).toBe(2000);
    expect(store.entries.has(tile(99))).toBe(false);
    expect(store.entries.has(tile(100))).toBe(true);
  });

  it("matches the configured tile URLs and nothing else", () => {
    const osm = tilePattern("https://tile.openstreetmap.org/{z}/{x}/{y}.png");
    expect(osm?.test("https://tile.openstreetmap.org/15/26000/16500.png")).toBe(true);
    expect(osm?.test("https://tile.openstreetmap.org/api/geography")).toBe(false);
    expect(osm?.test("https://evil.example/15/1/2.png")).toBe(false);
    const sub = tilePattern("https://{s}.tiles.example/{z}/{x}/{y}{r}.png?key=abc");
    expect(sub?.test("https://b.tiles.example/3/4/5@2x.png?key=abc")).toBe(true);
    expect(tilePattern("data:image/png;base64,AAAA")).toBeNull();
  });
});
