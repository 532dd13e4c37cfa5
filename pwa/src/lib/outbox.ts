/**
 * The outbox: every action and photo is written to IndexedDB first, then sent in order.
 *
 * - Each item gets an idempotency key (a UUID) when it is queued; the API applies a key once, so
 *   a replay after a lost answer never applies twice. The API fingerprints the body too, so the
 *   exact body of the first attempt is stored and replayed byte for byte (photos use a multipart
 *   body with a boundary derived from the key, never a random one).
 * - Items of one case are sent strictly in order. A refusal (409 conflict, 4xx) stops that case's
 *   later items and is kept for the officer to see: nothing is dropped silently.
 * - No signal, a 5xx or a 429 stop the flush; it runs again on `online`, on start, when the app
 *   comes back to the foreground and from Background Sync.
 * - One flush at a time across tabs and the service worker (a Web Lock).
 *
 * Worker-safe: used by the page and by the service worker.
 */
import { type Api, ApiError, NetworkError, SessionExpired, webLock } from "./api";
import { cacheCase, cachedCase, db } from "./db";
import type { CaseDetail, FieldAction, Status } from "./types";

export type OutboxState = "pending" | "conflict" | "failed";

export interface QueuedPhoto {
  /** The idempotency key of this photo's upload. */
  key: string;
  blob: Blob;
  name: string;
  caption: string;
  uploaded: boolean;
}

export interface OutboxItem {
  seq?: number;
  /** Idempotency-Key of the main request, made when the action was queued. */
  id: string;
  kind: "transition" | "duty";
  userId: number;
  caseId: string;
  caseRef: string;
  action?: FieldAction;
  note?: string;
  lat?: number;
  lon?: number;
  accuracy_m?: number;
  /** The case version the officer's action builds on (their own earlier actions included). */
  baseVersion?: number;
  /** The exact JSON body of the first attempt; replays must send the same bytes. */
  sentBody?: string;
  photos: QueuedPhoto[];
  teamId?: number;
  onDuty?: boolean;
  createdAt: number;
  attempts: number;
  state: OutboxState;
  error?: { status: number; code: string; detail: string };
}

export const TARGET_STATUS: Record<FieldAction, Status> = {
  accept: "accepted",
  en_route: "en_route",
  on_scene: "on_scene",
  resolve: "resolved",
  return: "returned",
};

export function uuid(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// --- change notification (this context, other tabs and the service worker) -------------------

type Listener = () => void;
const listeners = new Set<Listener>();
let channel: BroadcastChannel | null = null;

function getChannel(): BroadcastChannel | null {
  if (!channel && typeof BroadcastChannel !== "undefined") {
    channel = new BroadcastChannel("tanggap-outbox");
    channel.onmessage = () => {
      for (const fn of listeners) fn();
    };
  }
  return channel;
}

export function onOutboxChange(fn: Listener): () => void {
  getChannel();
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed(): void {
  for (const fn of listeners) fn();
  getChannel()?.postMessage("changed");
}

// --- reading ------------------------------------------------------------------------------------

export async function listOutbox(userId?: number): Promise<OutboxItem[]> {
  const all = await (await db()).getAll("outbox");
  all.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  return userId === undefined ? all : all.filter((i) => i.userId === userId);
}

export async function outboxCount(userId?: number): Promise<number> {
  return (await listOutbox(userId)).length;
}

export async function pendingForCase(caseId: string): Promise<OutboxItem[]> {
  const items = await (await db()).getAllFromIndex("outbox", "byCase", caseId);
  return items.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

/** Items held back because an earlier item of the same case was refused. */
export function blockedSeqs(items: OutboxItem[]): Set<number> {
  const stuck = new Set<string>();
  const out = new Set<number>();
  for (const item of items) {
    if (!item.caseId) continue;
    if (stuck.has(item.caseId) && item.seq !== undefined) out.add(item.seq);
    if (item.state !== "pending") stuck.add(item.caseId);
  }
  return out;
}

// --- queueing -----------------------------------------------------------------------------------

async function put(item: OutboxItem): Promise<number> {
  const seq = await (await db()).put("outbox", item);
  return seq;
}

export interface TransitionInput {
  userId: number;
  caseId: string;
  caseRef: string;
  /** The version of the case as last read from the server. */
  serverVersion: number;
  action: FieldAction;
  note?: string;
  position?: { lat: number; lon: number; accuracy_m: number } | null;
  photos?: { blob: Blob; name: string; caption?: string }[];
}

/** Queue a field action (with its photos). Returns the stored item. */
export async function queueTransition(input: TransitionInput): Promise<OutboxItem> {
  const earlier = (await pendingForCase(input.caseId)).filter((i) => i.kind === "transition");
  const item: OutboxItem = {
    id: uuid(),
    kind: "transition",
    userId: input.userId,
    caseId: input.caseId,
    caseRef: input.caseRef,
    action: input.action,
    note: input.note?.trim() || undefined,
    ...(input.position
      ? {
          lat: input.position.lat,
          lon: input.position.lon,
          accuracy_m: Math.round(input.position.accuracy_m),
        }
      : {}),
    baseVersion: input.serverVersion + earlier.length,
    photos: (input.photos ?? []).map((p) => ({
      key: uuid(),
      blob: p.blob,
      name: p.name,
      caption: p.caption ?? "",
      uploaded: false,
    })),
    createdAt: Date.now(),
    attempts: 0,
    state: "pending",
  };
  item.seq = await put(item);
  changed();
  return item;
}

/** Queue an on/off-duty change; a newer one replaces a still-unsent older one. */
export async function queueDuty(userId: number, teamId: number, onDuty: boolean): Promise<void> {
  const d = await db();
  for (const old of await d.getAll("outbox")) {
    if (old.kind === "duty" && old.teamId === teamId && !old.sentBody && old.seq !== undefined) {
      await d.delete("outbox", old.seq);
    }
  }
  await put({
    id: uuid(),
    kind: "duty",
    userId,
    caseId: "",
    caseRef: "",
    teamId,
    onDuty,
    photos: [],
    createdAt: Date.now(),
    attempts: 0,
    state: "pending",
  });
  changed();
}

/** The officer chose to give up an action (only ever by an explicit tap). */
export async function discard(seq: number): Promise<void> {
  await (await db()).delete("outbox", seq);
  changed();
}

/**
 * Try a refused item again on top of the case as it is now: a new idempotency key (the body
 * changes), the fresh version, back to pending. Photos already uploaded stay uploaded.
 */
export async function rebase(seq: number, serverVersion: number): Promise<void> {
  const d = await db();
  const item = await d.get("outbox", seq);
  if (!item) return;
  const earlier = (await pendingForCase(item.caseId)).filter(
    (i) => i.kind === "transition" && (i.seq ?? 0) < seq,
  );
  item.id = uuid();
  item.sentBody = undefined;
  item.baseVersion = serverVersion + earlier.length;
  item.state = "pending";
  item.error = undefined;
  await d.put("outbox", item);
  changed();
}

// --- sending ------------------------------------------------------------------------------------

const CRLF = "\r\n";

/** A multipart body whose bytes depend only on the photo (the boundary comes from its key). */
export function photoBody(photo: QueuedPhoto): { body: Blob; contentType: string } {
  const boundary = `----tanggap-${photo.key}`;
  const safeName = photo.name.replace(/["\r\n\\]/g, "_") || "foto.jpg";
  const parts: BlobPart[] = [
    `--${boundary}${CRLF}`,
    `Content-Disposition: form-data; name="files"; filename="${safeName}"${CRLF}`,
    `Content-Type: ${photo.blob.type || "image/jpeg"}${CRLF}${CRLF}`,
    photo.blob,
    CRLF,
  ];
  if (photo.caption) {
    parts.push(
      `--${boundary}${CRLF}`,
      `Content-Disposition: form-data; name="caption"${CRLF}${CRLF}`,
      photo.caption,
      CRLF,
    );
  }
  parts.push(`--${boundary}--${CRLF}`);
  return {
    body: new Blob(parts, { type: `multipart/form-data; boundary=${boundary}` }),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

interface Chain {
  /** The version our own last sent action produced, as we counted it when queueing. */
  expected: number;
  /** The version the server actually answered with. */
  actual: number;
}

async function save(item: OutboxItem): Promise<void> {
  await (await db()).put("outbox", item);
}

/** Keep the cached case in step with what the server answered, for offline reading. */
async function remember(
  userId: number,
  caseId: string,
  answer: unknown,
  action: FieldAction,
): Promise<void> {
  const cached = await cachedCase(caseId);
  if (!cached) return;
  const a = (answer ?? {}) as Partial<CaseDetail>;
  const next: CaseDetail = { ...cached.case };
  next.status = typeof a.status === "string" ? a.status : TARGET_STATUS[action];
  next.version = typeof a.version === "number" ? a.version : next.version + 1;
  if (Array.isArray(a.timeline)) next.timeline = a.timeline;
  if (Array.isArray(a.photos)) next.photos = a.photos;
  await cacheCase(userId, next);
}

async function sendTransition(api: Api, item: OutboxItem, chains: Map<string, Chain>) {
  for (const photo of item.photos) {
    if (photo.uploaded) continue;
    const { body, contentType } = photoBody(photo);
    await api.request(`/api/cases/${item.caseId}/photos`, {
      method: "POST",
      body,
      headers: { "Content-Type": contentType },
      idempotencyKey: photo.key,
    });
    photo.uploaded = true;
    await save(item);
  }
  const base = item.baseVersion ?? 0;
  if (!item.sentBody) {
    const chain = chains.get(item.caseId);
    const version = chain && chain.expected === base ? chain.actual : base;
    const body: Record<string, unknown> = { action: item.action, version };
    if (item.note) body.note = item.note;
    if (item.lat !== undefined && item.lon !== undefined) {
      body.lat = item.lat;
      body.lon = item.lon;
      body.accuracy_m = item.accuracy_m;
    }
    item.sentBody = JSON.stringify(body);
    await save(item); // before sending: a replay after a crash must send these same bytes
  }
  const sent = JSON.parse(item.sentBody) as { version: number };
  const answer = await api.request<Partial<CaseDetail>>(`/api/cases/${item.caseId}/transitions`, {
    method: "POST",
    body: item.sentBody,
    headers: { "Content-Type": "application/json" },
    idempotencyKey: item.id,
  });
  chains.set(item.caseId, {
    expected: base + 1,
    actual: typeof answer?.version === "number" ? answer.version : sent.version + 1,
  });
  if (item.action) await remember(item.userId, item.caseId, answer, item.action);
}

async function sendDuty(api: Api, item: OutboxItem) {
  if (!item.sentBody) {
    item.sentBody = JSON.stringify({ on_duty: item.onDuty });
    await save(item);
  }
  await api.request(`/api/teams/${item.teamId}/duty`, {
    method: "PUT",
    body: item.sentBody,
    headers: { "Content-Type": "application/json" },
    idempotencyKey: item.id,
  });
}

export type FlushResult =
  | { outcome: "done"; sent: number }
  | { outcome: "offline" | "retry_later" | "signed_out" | "busy"; sent: number };

let flushing: Promise<FlushResult> | null = null;

/** Send what can be sent, in order. Concurrent calls share one run. */
export function flush(api: Api): Promise<FlushResult> {
  if (!flushing) {
    flushing = webLock("tanggap-outbox-flush", () => flushLocked(api)).finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function flushLocked(api: Api): Promise<FlushResult> {
  const session = await api.session();
  if (!session) return { outcome: "signed_out", sent: 0 };
  const items = await listOutbox(session.user.id);
  const stuck = new Set<string>();
  const chains = new Map<string, Chain>();
  let sent = 0;
  for (const item of items) {
    if (item.caseId && stuck.has(item.caseId)) continue;
    if (item.state !== "pending") {
      if (item.caseId) stuck.add(item.caseId);
      continue;
    }
    try {
      item.attempts += 1;
      await save(item);
      if (item.kind === "transition") await sendTransition(api, item, chains);
      else await sendDuty(api, item);
      if (item.seq !== undefined) await (await db()).delete("outbox", item.seq);
      sent += 1;
      changed();
    } catch (err) {
      if (err instanceof NetworkError) return { outcome: "offline", sent };
      if (err instanceof SessionExpired) return { outcome: "signed_out", sent };
      if (err instanceof ApiError) {
        if (err.status >= 500 || err.status === 429 || err.status === 408) {
          return { outcome: "retry_later", sent };
        }
        item.state = err.status === 409 ? "conflict" : "failed";
        item.error = { status: err.status, code: err.code, detail: err.detail };
        await save(item);
        if (item.caseId) stuck.add(item.caseId);
        changed();
        continue;
      }
      throw err;
    }
  }
  return { outcome: "done", sent };
}
