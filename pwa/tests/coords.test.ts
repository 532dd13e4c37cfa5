import { describe, expect, it } from "vitest";
import { parseCoordinates } from "../src/lib/coords";
import { looksLikePlusCode, plusCodeToPoint } from "../src/lib/pluscode";

const near = (a: { lat: number; lon: number } | null, lat: number, lon: number, eps = 1e-6) => {
  expect(a).not.toBeNull();
  expect(Math.abs((a as { lat: number }).lat - lat)).toBeLessThan(eps);
  expect(Math.abs((a as { lon: number }).lon - lon)).toBeLessThan(eps);
};

describe("typed coordinates", () => {
  it("reads decimal degrees with a comma, spaces or a unicode minus", () => {
    near(parseCoordinates("-3.9705, 122.515"), -3.9705, 122.515);
    near(parseCoordinates("  -3.9705   122.515 "), -3.9705, 122.515);
    near(parseCoordinates("−3.9705,122.515"), -3.9705, 122.515);
  });

  it("reads degrees-minutes-seconds with hemisphere letters after", () => {
    const lat = -(3 + 58 / 60 + 13 / 3600);
    const lon = 122 + 30 / 60 + 54 / 3600;
    near(parseCoordinates(`3°58'13"S 122°30'54"E`), lat, lon);
    near(parseCoordinates("3° 58′ 13″ S, 122° 30′ 54″ E"), lat, lon);
    near(parseCoordinates("3 58 13 S 122 30 54 E"), lat, lon);
  });

  it("reads hemisphere letters before, in either order, and Indonesian letters", () => {
    near(parseCoordinates("S 3.97 E 122.515"), -3.97, 122.515);
    near(parseCoordinates("122.515 T 3.97 S"), -3.97, 122.515);
  });

  it("reads degrees and decimal minutes", () => {
    near(parseCoordinates("3°58.5'S 122°30.25'E"), -(3 + 58.5 / 60), 122 + 30.25 / 60);
  });

  it("refuses what is not a coordinate pair", () => {
    for (const text of [
      "",
      "Jl. Sudirman 12",
      "-3.97",
      "-3.97 122.5 7",
      "95 122",
      "-3.97 190",
      "3 61 0 S 122 0 0 E",
      "3 58 13 S 122 30 54 S",
      "-3.97 S 122.5 E",
      "lat -3.97 lon 122.5",
    ]) {
      expect(parseCoordinates(text), text).toBeNull();
    }
  });
});

describe("Plus Codes", () => {
  it("recognises full and short codes and nothing else", () => {
    expect(looksLikePlusCode("6P5GXGCR+2F")).toBe(true);
    expect(looksLikePlusCode("xgcr+2f Kendari")).toBe(true);
    expect(looksLikePlusCode("-3.97, 122.5")).toBe(false);
  });

  it("decodes a full code to the centre of its area", async () => {
    // Google's own example: the Googleplex, Mountain View.
    near(await plusCodeToPoint("849VCWC8+R9", { lat: 0, lon: 0 }), 37.4220625, -122.0840625, 1e-6);
  });

  it("recovers a short code near the city centre", async () => {
    const kendari = { lat: -4.015, lon: 122.55 };
    const { default: OLC } = await import("open-location-code-typescript");
    const code = OLC.encode(-3.9705, 122.515);
    const short = OLC.shorten(code, kendari.lat, kendari.lon);
    expect(short.length).toBeLessThan(code.length);
    near(await plusCodeToPoint(`${short} Kendari`, kendari), -3.9705, 122.515, 1e-4);
    expect(await plusCodeToPoint("ZZZZ+ZZ", kendari)).toBeNull();
  });
});
