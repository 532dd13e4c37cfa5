import { afterEach, describe, expect, it } from "vitest";
import { catalogKeys, formatDistance, getLanguage, hasKey, setLanguage, t } from "../src/lib/i18n";

describe("i18n", () => {
  afterEach(() => setLanguage("id", false));

  it("speaks Indonesian by default", () => {
    expect(getLanguage()).toBe("id");
    expect(t("action.accept")).toBe("Terima");
    expect(t("action.en_route")).toBe("Berangkat");
  });

  it("adds the admin console's words only when the console loads", async () => {
    expect(hasKey("admin.user.new")).toBe(false);
    expect(hasKey("admin.title")).toBe(true); // the staff home names the console
    await import("../src/admin/words");
    expect(hasKey("admin.user.new")).toBe(true);
    expect(t("admin.user.new")).toBe("Pengguna baru");
    expect(t("admin.user.new", undefined, "en")).toBe("New user");
  });

  it("has the same keys in both languages, none empty", async () => {
    await import("../src/admin/words");
    const id = catalogKeys("id").sort();
    expect(catalogKeys("en").sort()).toEqual(id);
    for (const key of id) {
      expect(t(key as never, undefined, "en").length).toBeGreaterThan(0);
      expect(t(key as never, undefined, "id").length).toBeGreaterThan(0);
    }
  });

  it("switches to English and fills parameters", () => {
    setLanguage("en", false);
    expect(t("outbox.counter", { n: 3 })).toBe("3 waiting to send");
    expect(t("action.resolve")).toBe("Resolve");
    expect(document.documentElement.lang).toBe("en");
  });

  it("keeps unknown parameters visible rather than inventing text", () => {
    expect(t("outbox.counter")).toBe("{n} menunggu kirim");
  });

  it("picks English plural forms by the number, and leaves Indonesian alone", () => {
    setLanguage("en", false);
    expect(t("intake.history_summary", { calls: 1, cases: 1 })).toBe("History: 1 call, 1 case.");
    expect(t("intake.history_summary", { calls: 2, cases: 0 })).toBe("History: 2 calls, 0 cases.");
    expect(t("dispatch.in_view", { n: 1 })).toBe("1 case on the map");
    setLanguage("id", false);
    expect(t("intake.history_summary", { calls: 1, cases: 2 })).toBe(
      "Riwayat: 1 panggilan, 2 kasus.",
    );
  });

  it("formats distances in metres and kilometres", () => {
    expect(formatDistance(84)).toBe("80 m");
    expect(formatDistance(2345)).toBe("2,3 km");
    setLanguage("en", false);
    expect(formatDistance(2345)).toBe("2.3 km");
  });
});
