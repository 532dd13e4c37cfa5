import { describe, expect, it } from "vitest";
import { sameBytes, urlBase64ToBytes } from "../src/lib/push";

// A subscription remembers the server key it was made for; after a VAPID key rotation the
// field app must notice the difference and subscribe again (docs/operations.md, "Rotating keys").
describe("a subscription's server key", () => {
  const current = urlBase64ToBytes("BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u");
  const copy = (b: Uint8Array) => b.slice().buffer;

  it("is the same when the bytes are", () => {
    expect(sameBytes(copy(current), current)).toBe(true);
  });

  it("differs after a rotation, or when the length differs", () => {
    const rotated = current.slice();
    rotated[5] ^= 0xff;
    expect(sameBytes(copy(rotated), current)).toBe(false);
    expect(sameBytes(copy(current.slice(1)), current)).toBe(false);
  });

  it("is trusted when the browser does not say", () => {
    expect(sameBytes(null, current)).toBe(true);
  });
});
