/**
 * Typo-tolerant search over category names (Indonesian and English) and codes, for the operator
 * who types while listening: "pohon tumbng" finds "Pohon tumbang". Every query word must match a
 * word of the candidate as a prefix, or within a Damerau-Levenshtein (optimal string alignment)
 * distance that grows with the word's length.
 */

export function normalise(s: string): string {
  return s
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
export function osaDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (!m) return n;
  if (!n) return m;
  const d: number[][] = [];
  for (let i = 0; i <= m; i++) d.push([i, ...new Array<number>(n).fill(0)]);
  for (let j = 0; j <= n; j++) d[0][j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2][j - 2] + 1);
      }
      d[i][j] = v;
    }
  }
  return d[m][n];
}

/** How many typos a query word of this length may carry. */
function allowance(len: number): number {
  if (len < 3) return 0;
  if (len < 6) return 1;
  return 2;
}

/** The cost of one query word against one candidate word, or null when they do not match. */
function wordCost(q: string, w: string): number | null {
  if (w.startsWith(q)) return 0;
  const limit = allowance(q.length);
  if (!limit) return null;
  const whole = osaDistance(q, w);
  // A prefix with a typo ("tumbng" for "tumbang…"): compare with the word cut near the query.
  let prefix = whole;
  for (const cut of [q.length - 1, q.length, q.length + 1]) {
    if (cut > 0 && cut < w.length) prefix = Math.min(prefix, osaDistance(q, w.slice(0, cut)) + 0.5);
  }
  const best = Math.min(whole, prefix);
  return best <= limit ? best : null;
}

export interface Searchable {
  id: number;
  code: string;
  name_id: string;
  name_en: string;
}

/** The items matching the query, best first (fewest typos, then earlier match, then name). */
export function fuzzySearch<T extends Searchable>(
  items: readonly T[],
  query: string,
  limit = 8,
): T[] {
  const words = normalise(query).split(" ").filter(Boolean);
  if (!words.length) return [];
  const scored: { item: T; score: number }[] = [];
  for (const item of items) {
    const fields = [item.name_id, item.name_en, item.code.replace(/_/g, " ")].map((f) =>
      normalise(f).split(" ").filter(Boolean),
    );
    let best: number | null = null;
    for (const field of fields) {
      let total = 0;
      for (const q of words) {
        let cost: number | null = null;
        field.forEach((w, i) => {
          const c = wordCost(q, w);
          if (c !== null) {
            const v = c + i * 0.01;
            if (cost === null || v < cost) cost = v;
          }
        });
        if (cost === null) {
          total = Number.POSITIVE_INFINITY;
          break;
        }
        total += cost;
      }
      if (Number.isFinite(total) && (best === null || total < best)) best = total;
    }
    if (best !== null) scored.push({ item, score: best });
  }
  scored.sort((a, b) => a.score - b.score || a.item.name_id.localeCompare(b.item.name_id));
  return scored.slice(0, limit).map((s) => s.item);
}
