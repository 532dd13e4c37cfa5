/**
 * The map tiles a user has seen, kept for offline use by the service worker: cache first, at most
 * `max` tiles, the least recently used thrown out first. A hit is written again, which moves it
 * to the end of the Cache API's insertion order, so `keys()` lists tiles oldest-used first.
 * No DOM, no globals: the service worker passes its cache in, tests pass a small one.
 */

export const TILE_CACHE = "tanggap-tiles-v1";
export const TILE_CACHE_MAX = 2000;

/** The part of the Cache API this needs (a real `Cache` fits). */
export interface TileStore {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
  keys(): Promise<ReadonlyArray<{ url: string }>>;
}

/**
 * A matcher for the tile URL template from the settings ("https://{s}.tile.example/{z}/{x}/{y}.png"):
 * `{z}`, `{x}`, `{y}` are numbers, `{s}` a subdomain, `{r}` an optional "@2x". Null for a
 * template the service worker never sees (a data: URI) or cannot read.
 */
export function tilePattern(template: string): RegExp | null {
  if (!/^https?:\/\//.test(template) || !template.includes("{z}")) return null;
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
  const source = escaped
    .replace(/\{[zxy]\}/g, "\\d+")
    .replace(/\{s\}/g, "[a-z0-9-]+")
    .replace(/\{r\}/g, "(?:@2x)?")
    .replace(/\{[^}]*\}/g, "[^/?#]*");
  return new RegExp(`^${source}(?:\\?.*)?$`);
}

export class TileLru {
  private count: number | null = null;
  private trimming: Promise<void> | null = null;

  constructor(
    private readonly open: () => Promise<TileStore>,
    private readonly max = TILE_CACHE_MAX,
  ) {}

  /** The tile from the cache (and marked as just used), else from `fetchTile`, then kept. */
  async get(url: string, fetchTile: () => Promise<Response>): Promise<Response> {
    const store = await this.open();
    const hit = await store.match(url);
    if (hit) {
      await store.put(url, hit.clone()); // most recently used now
      return hit;
    }
    const response = await fetchTile();
    if (response.ok) {
      await store.put(url, response.clone());
      this.count = (this.count ?? (await store.keys()).length - 1) + 1;
      if (this.count > this.max) await this.trim(store);
    }
    return response;
  }

  /** Drop the least recently used tiles until at most `max` remain. */
  trim(store: TileStore): Promise<void> {
    this.trimming ??= (async () => {
      try {
        const keys = await store.keys();
        const extra = keys.slice(0, Math.max(0, keys.length - this.max));
        for (const key of extra) await store.delete(key.url);
        this.count = keys.length - extra.length;
      } finally {
        this.trimming = null;
      }
    })();
    return this.trimming;
  }
}
