import { describe, expect, it } from "vitest";
import {
  casesHref,
  isoWeek,
  periodFor,
  shiftPeriod,
  statsParams,
  withPeriod,
} from "../src/supervisor/query";

describe("dashboard periods", () => {
  it("names ISO weeks as the stats API does, across year ends", () => {
    expect(isoWeek("2025-11-03")).toBe("2025-W45");
    expect(isoWeek("2025-11-09")).toBe("2025-W45");
    expect(isoWeek("2024-12-30")).toBe("2025-W01");
    expect(isoWeek("2021-01-03")).toBe("2020-W53");
  });

  it("steps to the previous and next day, week and month", () => {
    expect(shiftPeriod("day", "2025-03-01", -1)).toEqual(["day", "2025-02-28"]);
    expect(shiftPeriod("week", "2025-12-29", 1)).toEqual(["week", "2026-W02"]);
    expect(shiftPeriod("month", "2025-01-01", -1)).toEqual(["month", "2024-12"]);
    expect(periodFor("month", "2025-11-30")).toEqual(["month", "2025-11"]);
  });

  it("keeps one period and the filters in the address", () => {
    const p = statsParams("?month=2025-11&agency_id=3&junk=1");
    expect(p.toString()).toBe("month=2025-11&agency_id=3");
    expect(withPeriod(p, "day", "2025-11-02")).toBe("agency_id=3&day=2025-11-02");
  });

  it("links a number to the case list with its filter", () => {
    expect(casesHref({ created_from: "a", agency_id: 2 }, { status: "resolved,closed" })).toBe(
      "/dashboard/cases?created_from=a&agency_id=2&status=resolved%2Cclosed",
    );
  });
});
