/**
 * Typed coordinates, read the way people write them: decimal degrees ("-3.9705, 122.515"),
 * degrees-minutes-seconds ("3°58'13\"S 122°30'54\"E"), degrees and decimal minutes, with the
 * hemisphere as a letter before or after (N S E W, or Indonesian U S T B) or as a sign.
 * Pure: no Leaflet, no network, so the intake can place a pin without a base map.
 */

export interface LatLon {
  lat: number;
  lon: number;
}

type Hemisphere = "N" | "S" | "E" | "W";
// Utara (north), Selatan (south), Timur (east), Barat (west).
const LETTERS: Record<string, Hemisphere> = {
  N: "N",
  S: "S",
  E: "E",
  W: "W",
  U: "N",
  T: "E",
  B: "W",
};

interface Part {
  numbers: string[];
  hemisphere: Hemisphere | null;
}

function value(part: Part): number | null {
  const [d, m = "0", s = "0"] = part.numbers;
  if (part.numbers.length > 3) return null;
  const deg = Number(d);
  const min = Number(m);
  const sec = Number(s);
  if (![deg, min, sec].every(Number.isFinite)) return null;
  // Minutes and seconds are whole-minute parts; only the last number may have decimals.
  if (min < 0 || min >= 60 || sec < 0 || sec >= 60) return null;
  if (part.numbers.length > 1 && !Number.isInteger(deg)) return null;
  if (part.numbers.length > 2 && !Number.isInteger(min)) return null;
  const magnitude = Math.abs(deg) + min / 60 + sec / 3600;
  const negative = d.startsWith("-") || part.hemisphere === "S" || part.hemisphere === "W";
  if (d.startsWith("-") && (part.hemisphere === "S" || part.hemisphere === "W")) return null;
  return negative ? -magnitude : magnitude;
}

/** Split the tokens into a latitude part and a longitude part, or null when ambiguous. */
function parts(tokens: string[]): [Part, Part] | null {
  const letters = tokens.filter((x) => x in LETTERS);
  if (letters.length === 0) {
    const n = tokens.length;
    if (n % 2 !== 0 || n < 2 || n > 6) return null;
    return [
      { numbers: tokens.slice(0, n / 2), hemisphere: null },
      { numbers: tokens.slice(n / 2), hemisphere: null },
    ];
  }
  if (letters.length !== 2) return null;
  const prefix = tokens[0] in LETTERS;
  const found: Part[] = [];
  let current: string[] = [];
  let pending: Hemisphere | null = null;
  for (const tok of tokens) {
    if (tok in LETTERS) {
      if (prefix) {
        if (pending) found.push({ numbers: current, hemisphere: pending });
        pending = LETTERS[tok];
        current = [];
      } else {
        found.push({ numbers: current, hemisphere: LETTERS[tok] });
        current = [];
      }
    } else current.push(tok);
  }
  if (prefix && pending) found.push({ numbers: current, hemisphere: pending });
  else if (current.length) return null; // numbers after the last hemisphere letter
  if (found.length !== 2 || found.some((p) => p.numbers.length === 0)) return null;
  const lat = found.find((p) => p.hemisphere === "N" || p.hemisphere === "S");
  const lon = found.find((p) => p.hemisphere === "E" || p.hemisphere === "W");
  return lat && lon ? [lat, lon] : null;
}

/** The point written in `text`, or null when it is not a readable, in-range coordinate pair. */
export function parseCoordinates(text: string): LatLon | null {
  const clean = text
    .toUpperCase()
    .replace(/[−–—]/g, "-")
    .replace(/[°º˚′’‘´`'″”“"]/g, " ")
    .replace(/[,;/]/g, " ")
    .trim();
  if (!clean) return null;
  const tokens = clean.match(/-?\d+(?:\.\d+)?|[A-Z]+/g) ?? [];
  // Anything left besides numbers, hemisphere letters and spaces means this is not a coordinate.
  if (clean.replace(/-?\d+(?:\.\d+)?|[A-Z]+|\s+/g, "") !== "") return null;
  if (tokens.some((x) => /^[A-Z]+$/.test(x) && !(x in LETTERS))) return null;
  const split = parts(tokens);
  if (!split) return null;
  const lat = value(split[0]);
  const lon = value(split[1]);
  if (lat === null || lon === null) return null;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return { lat, lon };
}
