/**
 * Plus Codes (Open Location Code) to a point, full ("6P5GXGCR+2F") or short ("XGCR+2F Kendari",
 * recovered near the city centre). The library is loaded on first use, never with the first screen.
 */
import type { LatLon } from "./coords";

// The code alphabet; "0" only pads full codes.
const CODE = /(?:^|\s)([23456789CFGHJMPQRVWX0]{2,8}\+[23456789CFGHJMPQRVWX]{0,7})(?=\s|,|$)/;

/** Does `text` look like a Plus Code (so the caller can try it before plain coordinates)? */
export function looksLikePlusCode(text: string): boolean {
  return CODE.test(text.toUpperCase());
}

/** The centre of the code's area, a short code recovered nearest to `near`; null if invalid. */
export async function plusCodeToPoint(text: string, near: LatLon): Promise<LatLon | null> {
  const match = CODE.exec(text.toUpperCase());
  if (!match) return null;
  const mod = await import("open-location-code-typescript");
  // A CommonJS package: the browser build hands over its exports object, vitest the class itself.
  const exported = mod.default as unknown as { default?: typeof mod.default };
  const OpenLocationCode = exported.default ?? mod.default;
  let code = match[1];
  if (!OpenLocationCode.isValid(code)) return null;
  if (OpenLocationCode.isShort(code))
    code = OpenLocationCode.recoverNearest(code, near.lat, near.lon);
  if (!OpenLocationCode.isFull(code)) return null;
  const area = OpenLocationCode.decode(code);
  return { lat: area.latitudeCenter, lon: area.longitudeCenter };
}
