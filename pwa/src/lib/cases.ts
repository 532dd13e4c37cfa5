/**
 * The field officer's cases: loading with an offline fallback, ordering, and the state machine
 * as the phone sees it (server status plus the actions still waiting in the outbox).
 */
import { type Api, NetworkError } from "./api";
import { cacheCase, cachedCase, cachedTasks, cacheTasks } from "./db";
import { type OutboxItem, TARGET_STATUS } from "./outbox";
import type { CaseDetail, CasePage, CaseSummary, FieldAction } from "./types";

const PRIORITY_RANK: Record<string, number> = { P1: 1, P2: 2, P3: 3 };

/** The deadline the team is racing now: accept, then arrive, then resolve. */
export function nextDeadline(
  c: Pick<CaseSummary, "status" | "accept_by" | "arrive_by" | "resolve_by">,
): string {
  switch (c.status) {
    case "dispatched":
      return c.accept_by;
    case "accepted":
    case "en_route":
      return c.arrive_by;
    default:
      return c.resolve_by;
  }
}

/** Most urgent first: priority, then the nearest deadline, then the oldest. */
export function sortTasks<T extends CaseSummary>(items: T[]): T[] {
  return [...items].sort((a, b) => {
    const p = (PRIORITY_RANK[a.priority] ?? 9) - (PRIORITY_RANK[b.priority] ?? 9);
    if (p) return p;
    const d = Date.parse(nextDeadline(a)) - Date.parse(nextDeadline(b));
    if (d) return d;
    return Date.parse(a.created_at) - Date.parse(b.created_at);
  });
}

/** Overdue as the server said, or since then by the phone's clock. */
export function isOverdue(c: CaseSummary, now = Date.now()): boolean {
  if (c.overdue) return true;
  if (!["dispatched", "accepted", "en_route", "on_scene"].includes(c.status)) return false;
  return Date.parse(nextDeadline(c)) <= now;
}

/** What the officer may do next, in the order of the lifecycle; "return" is always last. */
export function fieldActions(status: string): FieldAction[] {
  switch (status) {
    case "dispatched":
      return ["accept", "return"];
    case "accepted":
      return ["en_route", "on_scene", "return"];
    case "en_route":
      return ["on_scene", "return"];
    case "on_scene":
      return ["resolve", "return"];
    default:
      return [];
  }
}

/** The case as the officer has moved it: server status advanced by the unsent actions. */
export function withPending<T extends CaseSummary>(
  c: T,
  items: OutboxItem[],
): T & { pending: number } {
  let status = c.status;
  let pending = 0;
  for (const item of items) {
    if (item.caseId !== c.id || item.kind !== "transition" || !item.action) continue;
    pending += 1;
    if (item.state === "pending") status = TARGET_STATUS[item.action];
  }
  return { ...c, status, pending };
}

/** The API answers `{case, timeline, photos, actions}`; the phone keeps one flat record. */
export function normalizeDetail(raw: unknown): CaseDetail {
  const r = raw as Partial<CaseDetail> & { case?: CaseSummary; actions?: string[] };
  const base = (r.case ?? r) as CaseSummary;
  return {
    ...base,
    timeline: r.timeline ?? [],
    photos: r.photos ?? [],
    actions: Array.isArray(r.actions) ? r.actions : undefined,
  };
}

export interface Loaded<T> {
  data: T;
  cachedAt: number;
  fromCache: boolean;
}

/** The team's open cases: from the API when reachable (and then saved), else the saved copy. */
export async function loadTasks(api: Api, userId: number): Promise<Loaded<CaseSummary[]> | null> {
  try {
    const items: CaseSummary[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const q = new URLSearchParams({ mine: "true", limit: "100" });
      if (cursor) q.set("cursor", cursor);
      const res: CasePage = await api.request<CasePage>(`/api/cases?${q}`);
      items.push(...res.items);
      cursor = res.next_cursor;
      if (!cursor) break;
    }
    await cacheTasks(userId, items);
    return { data: items, cachedAt: Date.now(), fromCache: false };
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    const saved = await cachedTasks(userId);
    return saved ? { data: saved.items, cachedAt: saved.cachedAt, fromCache: true } : null;
  }
}

/** Whose session a request starts in: its answer is kept only while that session lasts. */
async function asker(api: Api): Promise<number | undefined> {
  return (await api.session())?.user.id;
}

export async function loadCase(api: Api, id: string): Promise<Loaded<CaseDetail> | null> {
  try {
    const userId = await asker(api);
    const detail = normalizeDetail(await api.request<unknown>(`/api/cases/${id}`));
    if (userId !== undefined) await cacheCase(userId, detail);
    return { data: detail, cachedAt: Date.now(), fromCache: false };
  } catch (err) {
    if (!(err instanceof NetworkError)) throw err;
    const saved = await cachedCase(id);
    return saved ? { data: saved.case, cachedAt: saved.cachedAt, fromCache: true } : null;
  }
}

/** Save every task's details in the background, so each one opens with no signal later. */
export async function prefetchCases(api: Api, items: CaseSummary[], limit = 30): Promise<void> {
  const userId = await asker(api);
  if (userId === undefined) return;
  for (const c of items.slice(0, limit)) {
    const saved = await cachedCase(c.id);
    if (saved && saved.case.version === c.version) continue;
    try {
      const detail = normalizeDetail(await api.request<unknown>(`/api/cases/${c.id}`));
      await cacheCase(userId, detail);
    } catch {
      return; // signal gone: try again next time
    }
  }
}
