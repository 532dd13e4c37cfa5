import { afterEach, describe, expect, it, vi } from "vitest";

vi.mock("../src/lib/session", () => ({ api: { request: vi.fn() } }));

import { setLanguage, t } from "../src/lib/i18n";
import { share, wait } from "../src/supervisor/call-clock";

describe("call clock", () => {
  afterEach(() => setLanguage("id", false));

  it("shows ratios as percentages with one decimal, a dash when unknown", () => {
    expect(share(0.9)).toBe("90.0%");
    expect(share(0.3344)).toBe("33.4%");
    expect(share(null)).toBe("—");
  });

  it("counts a wait as m:ss", () => {
    expect(wait(35_400)).toBe("0:35");
    expect(wait(125_000)).toBe("2:05");
    expect(wait(-5)).toBe("0:00");
  });

  it("speaks both languages", () => {
    expect(t("clock.queue_ringing", { n: 2 })).toBe("2 panggilan berdering");
    setLanguage("en", false);
    expect(t("clock.queue_ringing", { n: 1 })).toBe("1 call ringing");
    expect(t("clock.within", { s: 15 })).toBe("Answered within 15 s");
  });
});
