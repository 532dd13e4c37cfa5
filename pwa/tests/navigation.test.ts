import { describe, expect, it } from "vitest";
import { bearingDeg, compassPoint, navigationUrl } from "../src/lib/geo";

const PIXEL_7 =
  "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
const IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

describe("navigate", () => {
  it("hands Android a geo: URI with the case as its label", () => {
    expect(navigationUrl(-3.9712, 122.5168, "KDI-2026-000123", PIXEL_7)).toBe(
      "geo:-3.9712,122.5168?q=-3.9712,122.5168(KDI-2026-000123)",
    );
  });

  it("hands iOS an Apple Maps directions URL", () => {
    expect(navigationUrl(-3.9712, 122.5168, "KDI-1", IPHONE)).toBe(
      "https://maps.apple.com/?daddr=-3.9712,122.5168",
    );
  });

  it("gives other browsers a maps URL", () => {
    expect(navigationUrl(-3.9712, 122.5168, "KDI-1", "Mozilla/5.0 (X11; Linux x86_64)")).toMatch(
      /^https:\/\/www\.google\.com\/maps\/dir\/\?api=1&destination=-3\.9712,122\.5168$/,
    );
  });

  it("labels are URI-encoded so a label cannot break the URI", () => {
    expect(navigationUrl(1, 2, "a (b)&c", PIXEL_7)).toBe("geo:1,2?q=1,2(a%20(b)%26c)");
  });
});

describe("bearing", () => {
  it("points along the compass from the officer to the case", () => {
    expect(bearingDeg(-4, 122.5, -3.9, 122.5)).toBe(0);
    expect(bearingDeg(-4, 122.5, -4, 122.6)).toBe(90);
    expect(bearingDeg(-4, 122.5, -4.1, 122.5)).toBe(180);
    expect(bearingDeg(-4, 122.5, -4, 122.4)).toBe(270);
    expect(bearingDeg(0, 0, 1, 1)).toBe(45);
  });

  it("names eight compass points, north either side of 0°", () => {
    expect([0, 22, 23, 45, 90, 135, 180, 225, 270, 315, 338, 359].map(compassPoint)).toEqual([
      "n",
      "n",
      "ne",
      "ne",
      "e",
      "se",
      "s",
      "sw",
      "w",
      "nw",
      "n",
      "n",
    ]);
  });
});
