// @vitest-environment node
// Where each role lands, which screens it may open, and what a session leaves when it ends.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { cacheCase, cachedCase, cachedTasks, cacheTasks } from "../src/lib/db";
import { listOutbox, queueDuty } from "../src/lib/outbox";
import { issuesWarnings, landingFor, mayOpen, parseRoute } from "../src/lib/router";
import { idbSessionStore } from "../src/lib/session";
import type { CaseDetail } from "../src/lib/types";
import { freshDb, session, USER } from "./helpers";

describe("routes", () => {
  it("sends every role to its own screen", () => {
    expect(landingFor("operator")).toBe("/intake");
    expect(landingFor("dispatcher")).toBe("/dispatch");
    expect(landingFor("coordinator")).toBe("/teams");
    expect(landingFor("field_officer")).toBe("/tasks");
    expect(landingFor("supervisor")).toBe("/dashboard");
    expect(landingFor("admin")).toBe("/admin");
  });

  it("knows no unknown address, and keeps staff screens to their roles", () => {
    expect(parseRoute("/no/such/page")).toEqual({ name: "unknown" });
    expect(parseRoute("/admin")).toEqual({ name: "admin" });
    expect(mayOpen("admin", parseRoute("/admin"))).toBe(true);
    expect(mayOpen("operator", parseRoute("/admin"))).toBe(false);
    expect(mayOpen("field_officer", parseRoute("/intake"))).toBe(false);
    expect(mayOpen("dispatcher", parseRoute("/tasks"))).toBe(false);
    expect(mayOpen("field_officer", parseRoute("/outbox"))).toBe(true);
    expect(mayOpen(undefined, parseRoute("/menu"))).toBe(false);
  });

  it("opens area warnings to supervisors and BPBD's coordinators only", () => {
    expect(parseRoute("/warnings")).toEqual({ name: "warnings" });
    expect(parseRoute("/warnings/12")).toEqual({ name: "warnings", id: "12" });
    expect(parseRoute("/warnings/new")).toEqual({ name: "warnings", id: "new" });
    expect(parseRoute("/warnings/0")).toEqual({ name: "unknown" });
    expect(parseRoute("/warnings/12345678901")).toEqual({ name: "unknown" });
    const bpbd = { code: "BPBD" };
    expect(issuesWarnings({ role: "supervisor", agency: null })).toBe(true);
    expect(issuesWarnings({ role: "coordinator", agency: bpbd })).toBe(true);
    expect(issuesWarnings({ role: "coordinator", agency: { code: "DLHK" } })).toBe(false);
    for (const role of ["operator", "dispatcher", "field_officer", "admin"]) {
      expect(issuesWarnings({ role, agency: bpbd })).toBe(false);
    }
  });
});

const CASE_ID = "11111111-1111-4111-8111-111111111111";
const detail = { id: CASE_ID, reference: "KDI-1", version: 1 } as unknown as CaseDetail;

describe("a session that ends", () => {
  beforeEach(() => freshDb());

  async function cacheSomething(): Promise<void> {
    await cacheCase(USER.id, detail);
    await cacheTasks(USER.id, []);
    await queueDuty(USER.id, 4, false);
  }

  it("forgets the cached cases but keeps the user's unsent outbox", async () => {
    await idbSessionStore.set(session());
    await cacheSomething();
    await idbSessionStore.clear();
    expect(await cachedCase(CASE_ID)).toBeUndefined();
    expect(await cachedTasks(USER.id)).toBeUndefined();
    const kept = await listOutbox();
    expect(kept.map((i) => i.userId)).toEqual([USER.id]);
  });

  it("forgets them when another user signs in, not when the same user refreshes", async () => {
    await idbSessionStore.set(session());
    await cacheSomething();
    await idbSessionStore.set(session("access-2", "refresh-2"));
    expect(await cachedCase(CASE_ID)).toBeDefined();
    await idbSessionStore.set({ ...session("access-3"), user: { ...USER, id: USER.id + 1 } });
    expect(await cachedCase(CASE_ID)).toBeUndefined();
    expect(await listOutbox(USER.id + 1)).toEqual([]);
    expect(await listOutbox(USER.id)).toHaveLength(1);
  });

  it("does not keep an answer that arrives after its user's session ended", async () => {
    await idbSessionStore.set(session());
    await idbSessionStore.clear(); // signed out while the task list was on its way
    await cacheSomething();
    expect(await cachedCase(CASE_ID)).toBeUndefined();
    expect(await cachedTasks(USER.id)).toBeUndefined();
    // Nor once another person has signed in on the same phone.
    await idbSessionStore.set({ ...session("access-3"), user: { ...USER, id: USER.id + 1 } });
    await cacheSomething();
    expect(await cachedCase(CASE_ID)).toBeUndefined();
    expect(await cachedTasks(USER.id)).toBeUndefined();
    expect(await cachedTasks(USER.id + 1)).toBeUndefined();
  });
});
