import { describe, expect, it } from "vitest";
import { fieldActions, isOverdue, normalizeDetail, sortTasks, withPending } from "../src/lib/cases";
import { distanceM, shouldPing } from "../src/lib/geo";
import type { OutboxItem } from "../src/lib/outbox";
import { fitWithin } from "../src/lib/photo";
import type { CaseSummary, Priority, Status } from "../src/lib/types";
import { caseOut } from "./helpers";

const at = (min: number) => new Date(Date.UTC(2025, 10, 23, 8, 0) + min * 60_000).toISOString();

function c(id: string, priority: Priority, status: Status, acceptIn: number): CaseSummary {
  return caseOut({
    id,
    reference: id,
    category: { id: 1, code: "X", name: "X" },
    agency_id: 1,
    team_id: 1,
    priority,
    status,
    lat: -3.97,
    lon: 122.51,
    address: "",
    landmark: "",
    area_name: null,
    description: "",
    created_at: at(0),
    accept_by: at(acceptIn),
    arrive_by: at(acceptIn + 30),
    resolve_by: at(acceptIn + 120),
    overdue: false,
    version: 1,
  });
}

describe("tasks", () => {
  it("orders by priority, then the deadline the team is racing", () => {
    const items = [
      c("p3", "P3", "dispatched", 1),
      c("p1-late", "P1", "dispatched", 50),
      c("p1", "P1", "dispatched", 5),
    ];
    expect(sortTasks(items).map((x) => x.id)).toEqual(["p1", "p1-late", "p3"]);
    // An accepted case races its arrival deadline, not its (passed) acceptance one.
    const a = c("accepted", "P2", "accepted", -20); // arrive in 10 min
    const b = c("dispatched", "P2", "dispatched", 5);
    expect(sortTasks([b, a]).map((x) => x.id)).toEqual(["dispatched", "accepted"]);
  });

  it("marks overdue by the server's flag or by the clock", () => {
    expect(isOverdue({ ...c("x", "P1", "dispatched", 10), overdue: true })).toBe(true);
    expect(isOverdue(c("x", "P1", "dispatched", -1), Date.parse(at(0)))).toBe(true);
    expect(isOverdue(c("x", "P1", "dispatched", 10), Date.parse(at(0)))).toBe(false);
  });

  it("offers actions in lifecycle order", () => {
    expect(fieldActions("dispatched")).toEqual(["accept", "return"]);
    expect(fieldActions("accepted")).toEqual(["en_route", "on_scene", "return"]);
    expect(fieldActions("on_scene")).toEqual(["resolve", "return"]);
    expect(fieldActions("resolved")).toEqual([]);
  });

  it("shows the case as moved by unsent actions, but not by refused ones", () => {
    const base = c("k", "P1", "dispatched", 10);
    const item = (action: OutboxItem["action"], state: OutboxItem["state"] = "pending") =>
      ({ caseId: "k", kind: "transition", action, state }) as OutboxItem;
    expect(withPending(base, [item("accept"), item("en_route")]).status).toBe("en_route");
    expect(withPending(base, [item("accept", "conflict")]).status).toBe("dispatched");
    expect(withPending(base, [item("accept")]).pending).toBe(1);
  });

  it("flattens the API's {case, timeline, photos, actions} answer", () => {
    const d = normalizeDetail({
      case: c("k", "P1", "dispatched", 1),
      timeline: [],
      photos: [],
      actions: ["accept"],
    });
    expect(d.id).toBe("k");
    expect(d.actions).toEqual(["accept"]);
  });
});

describe("geo and photos", () => {
  it("measures distance", () => {
    expect(Math.round(distanceM(-3.97, 122.51, -3.98, 122.51))).toBe(1112);
  });

  it("pings when moved or when a minute has passed, never faster than 15 s", () => {
    const p = (s: number, lat = -3.97, acc = 20) => ({
      lat,
      lon: 122.51,
      accuracy_m: acc,
      at: s * 1000,
    });
    expect(shouldPing(null, p(0))).toBe(true);
    expect(shouldPing(p(0), p(10, -3.98))).toBe(false);
    expect(shouldPing(p(0), p(20, -3.98))).toBe(true);
    expect(shouldPing(p(0), p(30))).toBe(false);
    expect(shouldPing(p(0), p(61))).toBe(true);
    expect(shouldPing(null, p(0, -3.97, 900))).toBe(false);
  });

  it("fits photos within 1600 px on the longest side, never enlarging", () => {
    expect(fitWithin(4000, 3000)).toEqual([1600, 1200]);
    expect(fitWithin(3000, 4000)).toEqual([1200, 1600]);
    expect(fitWithin(800, 600)).toEqual([800, 600]);
  });
});
