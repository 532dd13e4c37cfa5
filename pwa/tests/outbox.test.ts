// @vitest-environment node
// The outbox is worker code (no DOM); Node also gives IndexedDB (fake) real Blob cloning.
import "fake-indexeddb/auto";
import { beforeEach, describe, expect, it } from "vitest";
import { Api } from "../src/lib/api";
import { cacheCase, cachedCase, kvSet } from "../src/lib/db";
import {
  blockedSeqs,
  flush,
  listOutbox,
  outboxCount,
  photoBody,
  queueDuty,
  queueTransition,
  rebase,
} from "../src/lib/outbox";
import type { CaseDetail } from "../src/lib/types";
import {
  caseOut,
  freshDb,
  json,
  memoryStore,
  problem,
  type Recorded,
  scriptedFetch,
  session,
  USER,
} from "./helpers";

const CASE_A = "11111111-1111-4111-8111-111111111111";
const CASE_B = "22222222-2222-4222-8222-222222222222";
const TARGET: Record<string, string> = {
  accept: "accepted",
  en_route: "en_route",
  on_scene: "on_scene",
  resolve: "resolved",
  return: "returned",
};

/** A small model of the API: versions, 409s, and idempotency keys fingerprinted with the body. */
function fakeApi() {
  const cases: Record<string, { status: string; version: number }> = {
    [CASE_A]: { status: "dispatched", version: 1 },
    [CASE_B]: { status: "dispatched", version: 1 },
  };
  const seen = new Map<string, { body: string; response: unknown }>();
  const events: { caseId: string; action: string }[] = [];
  const photos: { caseId: string; body: string }[] = [];
  const lose = new Set<string>(); // keys whose answer gets "lost" once after being applied
  let offline = false;

  const handler = (req: Recorded): Response => {
    if (offline) throw new TypeError("Failed to fetch");
    const key = req.headers["idempotency-key"];
    const m = /^\/api\/cases\/([^/]+)\/(transitions|photos)$/.exec(req.path);
    if (key && seen.has(key)) {
      const prev = seen.get(key);
      if (prev?.body !== req.body) return problem(422, "idempotency_key_reused");
      return json(200, prev?.response);
    }
    let response: unknown = {};
    if (m && m[2] === "photos") {
      photos.push({ caseId: m[1], body: req.body });
      response = [{ id: `p${photos.length}` }];
    } else if (m) {
      const c = cases[m[1]];
      const body = JSON.parse(req.body);
      if (body.version !== c.version) return problem(409, "version_conflict", "Kasus telah diubah");
      c.status = TARGET[body.action];
      c.version += 1;
      events.push({ caseId: m[1], action: body.action });
      response = { id: m[1], status: c.status, version: c.version };
    } else if (/\/duty$/.test(req.path)) {
      response = { on_duty: JSON.parse(req.body).on_duty };
    }
    if (key) seen.set(key, { body: req.body, response });
    if (key && lose.has(key)) {
      lose.delete(key);
      throw new TypeError("connection reset after the server applied it");
    }
    return json(200, response);
  };
  const { fetch, log } = scriptedFetch(handler);
  const api = new Api({ store: memoryStore(session()), language: () => "id", fetch });
  return {
    api,
    log,
    cases,
    events,
    photos,
    lose,
    setOffline(v: boolean) {
      offline = v;
    },
  };
}

function detail(id: string, version = 1): CaseDetail {
  return {
    ...caseOut({ id }),
    id,
    reference: id === CASE_A ? "KDI-A" : "KDI-B",
    category: { id: 1, code: "SAMPAH", name: "Sampah" },
    agency_id: 3,
    team_id: 4,
    priority: "P2",
    status: "dispatched",
    lat: -3.97,
    lon: 122.51,
    address: "",
    landmark: "",
    area_name: null,
    description: "",
    created_at: new Date().toISOString(),
    accept_by: new Date().toISOString(),
    arrive_by: new Date().toISOString(),
    resolve_by: new Date().toISOString(),
    overdue: false,
    version,
    timeline: [],
    photos: [],
  };
}

const q = (
  caseId: string,
  action: "accept" | "en_route" | "on_scene" | "resolve" | "return",
  extra = {},
) =>
  queueTransition({
    userId: USER.id,
    caseId,
    caseRef: caseId === CASE_A ? "KDI-A" : "KDI-B",
    serverVersion: 1,
    action,
    ...extra,
  });

describe("outbox", () => {
  beforeEach(() => freshDb());

  it("keeps actions made offline, in order, each with its own idempotency key", async () => {
    const s = fakeApi();
    s.setOffline(true);
    await q(CASE_A, "accept");
    await q(CASE_A, "en_route");
    await q(CASE_A, "on_scene");
    expect((await flush(s.api)).outcome).toBe("offline");
    const items = await listOutbox(USER.id);
    expect(items.map((i) => i.action)).toEqual(["accept", "en_route", "on_scene"]);
    expect(new Set(items.map((i) => i.id)).size).toBe(3);
    expect(items.map((i) => i.baseVersion)).toEqual([1, 2, 3]);
    expect(await outboxCount(USER.id)).toBe(3);
  });

  it("drains in order when the network returns; each action applied once", async () => {
    const s = fakeApi();
    await kvSet("session", session()); // the app keeps its session in IndexedDB
    await cacheCase(USER.id, detail(CASE_A));
    s.setOffline(true);
    await q(CASE_A, "accept");
    await q(CASE_A, "en_route");
    await q(CASE_A, "on_scene");
    const photo = new Blob(["jpeg-bytes"], { type: "image/jpeg" });
    await q(CASE_A, "resolve", {
      note: "Sampah diangkut",
      photos: [{ blob: photo, name: "a.jpg" }],
    });
    await flush(s.api);
    s.setOffline(false);
    const result = await flush(s.api);
    expect(result).toEqual({ outcome: "done", sent: 4 });
    expect(s.events.map((e) => e.action)).toEqual(["accept", "en_route", "on_scene", "resolve"]);
    expect(s.photos).toHaveLength(1);
    expect(s.photos[0].body).toContain("jpeg-bytes");
    // The photo goes up before the resolve that may require it.
    const paths = s.log.filter((r) => r.method === "POST").map((r) => r.path.split("/").pop());
    expect(paths.slice(-2)).toEqual(["photos", "transitions"]);
    expect(await outboxCount()).toBe(0);
    expect((await cachedCase(CASE_A))?.case.status).toBe("resolved");
    expect((await cachedCase(CASE_A))?.case.version).toBe(5);
  });

  it("replays a request whose answer was lost with the same key and bytes: applied once", async () => {
    const s = fakeApi();
    const item = await q(CASE_A, "accept");
    s.lose.add(item.id);
    expect((await flush(s.api)).outcome).toBe("offline");
    expect(s.events).toHaveLength(1); // the server did apply it
    const retry = await flush(s.api);
    expect(retry.outcome).toBe("done");
    expect(s.events).toHaveLength(1); // ...and the replay did not apply it again
    const sends = s.log.filter((r) => r.path.endsWith("/transitions"));
    expect(sends).toHaveLength(2);
    expect(sends[0].headers["idempotency-key"]).toBe(sends[1].headers["idempotency-key"]);
    expect(sends[0].body).toBe(sends[1].body);
  });

  it("builds on the server's answer when the counted version is off", async () => {
    const s = fakeApi();
    s.cases[CASE_A].version = 5; // e.g. a note added by the control room meanwhile
    await queueTransition({
      userId: USER.id,
      caseId: CASE_A,
      caseRef: "KDI-A",
      serverVersion: 5,
      action: "accept",
    });
    await queueTransition({
      userId: USER.id,
      caseId: CASE_A,
      caseRef: "KDI-A",
      serverVersion: 5,
      action: "en_route",
    });
    expect((await flush(s.api)).outcome).toBe("done");
    expect(s.events.map((e) => e.action)).toEqual(["accept", "en_route"]);
  });

  it("shows a conflict, holds that case's later actions, and still sends other cases", async () => {
    const s = fakeApi();
    s.cases[CASE_A].version = 9; // reassigned by dispatch while the officer was offline
    await q(CASE_A, "accept");
    await q(CASE_A, "en_route");
    await q(CASE_B, "accept");
    const result = await flush(s.api);
    expect(result.outcome).toBe("done");
    const items = await listOutbox(USER.id);
    expect(items.map((i) => [i.action, i.state])).toEqual([
      ["accept", "conflict"],
      ["en_route", "pending"],
    ]);
    expect(items[0].error?.code).toBe("version_conflict");
    expect(items[0].error?.detail).toBe("Kasus telah diubah");
    expect(blockedSeqs(items)).toEqual(new Set([items[1].seq]));
    expect(s.events).toEqual([{ caseId: CASE_B, action: "accept" }]);
    // A second flush does not silently retry or drop anything.
    await flush(s.api);
    expect(await outboxCount(USER.id)).toBe(2);
  });

  it("can try a refused action again on top of the fresh case, with a new key", async () => {
    const s = fakeApi();
    s.cases[CASE_A].version = 3;
    const first = await q(CASE_A, "accept");
    await flush(s.api);
    const [item] = await listOutbox(USER.id);
    expect(item.state).toBe("conflict");
    await rebase(item.seq as number, 3);
    const [rebased] = await listOutbox(USER.id);
    expect(rebased.id).not.toBe(first.id);
    expect(rebased.state).toBe("pending");
    expect((await flush(s.api)).outcome).toBe("done");
    expect(s.events).toEqual([{ caseId: CASE_A, action: "accept" }]);
  });

  it("stops on a server error and keeps everything for later", async () => {
    const { fetch } = scriptedFetch(() => problem(503, "service_unavailable"));
    const api = new Api({ store: memoryStore(session()), language: () => "id", fetch });
    await q(CASE_A, "accept");
    expect((await flush(api)).outcome).toBe("retry_later");
    const [item] = await listOutbox(USER.id);
    expect(item.state).toBe("pending");
    expect(item.attempts).toBe(1);
  });

  it("keeps the outbox when the session has ended", async () => {
    const { fetch } = scriptedFetch(() => problem(401, "token_invalid"));
    const api = new Api({ store: memoryStore(session()), language: () => "id", fetch });
    await q(CASE_A, "accept");
    expect((await flush(api)).outcome).toBe("signed_out");
    expect(await outboxCount(USER.id)).toBe(1);
  });

  it("a newer duty switch replaces an unsent older one", async () => {
    const s = fakeApi();
    s.setOffline(true);
    await queueDuty(USER.id, 4, false);
    await queueDuty(USER.id, 4, true);
    const items = await listOutbox(USER.id);
    expect(items).toHaveLength(1);
    expect(items[0].onDuty).toBe(true);
    s.setOffline(false);
    await flush(s.api);
    const duty = s.log.filter((r) => r.path === "/api/teams/4/duty");
    expect(duty).toHaveLength(1);
    expect(duty[0].method).toBe("PUT");
    expect(JSON.parse(duty[0].body)).toEqual({ on_duty: true });
  });

  it("builds the same multipart bytes for a photo every time", async () => {
    const photo = {
      key: "k-123",
      blob: new Blob(["abc"], { type: "image/jpeg" }),
      name: "x.jpg",
      caption: "depan",
      uploaded: false,
    };
    const a = photoBody(photo);
    const b = photoBody(photo);
    expect(a.contentType).toBe("multipart/form-data; boundary=----tanggap-k-123");
    expect(await a.body.text()).toBe(await b.body.text());
    expect(await a.body.text()).toContain('name="files"; filename="x.jpg"');
  });
});
