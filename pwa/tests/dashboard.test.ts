import { describe, expect, it } from "vitest";
import { healthNotice } from "../src/supervisor/health";
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

describe("system health banner", () => {
  it("says nothing while all is well or unknown", () => {
    expect(healthNotice({ status: "ok", reasons: [] })).toEqual([]);
    expect(healthNotice(null)).toEqual([]);
  });

  it("explains each degraded reason in words, with the queue's age in minutes", () => {
    const lines = healthNotice({
      status: "degraded",
      database: "up",
      postgis: "3.4",
      reasons: ["worker_stalled", "queue_backlog"],
      queue: {
        due_jobs: 12,
        oldest_due_age_s: 600,
        worker_heartbeat_age_s: 900,
        last_sla_scan_at: null,
        worker_stall_s: 120,
        queue_max_age_s: 300,
        sla_scan_late_s: 180,
      },
    });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("10 menit");
    expect(lines.join(" ")).not.toMatch(/worker_stalled|queue_backlog/);
  });

  it("says in words that the read replica is down or behind", () => {
    const queue = {
      due_jobs: 0,
      oldest_due_age_s: null,
      worker_heartbeat_age_s: 1,
      last_sla_scan_at: null,
      worker_stall_s: 30,
      queue_max_age_s: 120,
      sla_scan_late_s: 45,
    };
    const replica = { status: "down" as const, lag_s: null, max_lag_s: 5 };
    const down = healthNotice({
      status: "degraded",
      database: "up",
      postgis: "3.4",
      reasons: ["replica_down"],
      queue,
      replica,
    });
    expect(down).toEqual([
      "Basis data cadangan untuk baca tidak dapat dihubungi: basis data utama melayani semua permintaan.",
    ]);
    const behind = healthNotice({
      status: "degraded",
      database: "up",
      postgis: "3.4",
      reasons: ["replica_lagging"],
      queue,
      replica: { ...replica, status: "up", lag_s: 42 },
    });
    expect(behind.join(" ")).toContain("tertinggal");
    expect([...down, ...behind].join(" ")).not.toMatch(/replica_/);
  });

  it("says the database is unreachable when readiness is unavailable", () => {
    expect(healthNotice({ status: "unavailable" })).toEqual([
      "Basis data tidak dapat dihubungi: angka di layar ini mungkin tidak terbaru.",
    ]);
  });
});
