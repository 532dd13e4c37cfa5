/**
 * The citizen's side of the public API, and what this phone remembers about its reports.
 *
 * - Tracking credentials (the secret token of a report made here, or the phone + PIN a citizen
 *   typed) are kept per reference in IndexedDB, so `/lacak/<reference>` opens without asking.
 * - A report is queued in IndexedDB with its own Idempotency-Key before anything is sent; the
 *   exact JSON body and the resized photos are stored, and replayed byte for byte until the API
 *   answers (a lost answer is repeated by the API, never applied twice). Sent on submit, on
 *   `online`, and whenever a citizen page opens.
 */
import { ApiError, NetworkError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { kvGet, kvSet } from "../lib/db";
import { uuid } from "../lib/outbox";
import { api } from "../lib/session";

export type Category = Schema<"public_CategoryOut">;
export type Similar = Schema<"public_SimilarOut">;
export type ReportAnswer = Schema<"ReportOut">;
export type TrackPhoto = Schema<"PublicPhotoOut">;
export type Tracked = Schema<"TrackOut">;
/** The report as this page sends it; the server defaults `landmark` (the schema lists it as required). */
export type ReportBody = Omit<Schema<"ReportIn">, "landmark"> & { landmark?: string };
export type FollowBody = Schema<"FollowIn">;

/** How this phone proves it may see a case: the report's token, or the reporter's phone + PIN. */
export interface Credentials {
  token?: string;
  phone?: string;
  pin?: string;
}

export function normaliseReference(raw: string): string {
  return raw.trim().toUpperCase().replace(/\s+/g, "");
}

const CREDS = "citizen.credentials";
const QUEUE = "citizen.queue";
const DONE = "citizen.done";

export async function credentialsFor(reference: string): Promise<Credentials | undefined> {
  const all = (await kvGet<Record<string, Credentials>>(CREDS)) ?? {};
  return all[normaliseReference(reference)];
}

export async function saveCredentials(reference: string, creds: Credentials): Promise<void> {
  const all = (await kvGet<Record<string, Credentials>>(CREDS)) ?? {};
  all[normaliseReference(reference)] = { ...all[normaliseReference(reference)], ...creds };
  await kvSet(CREDS, all);
}

export async function knownReferences(): Promise<string[]> {
  return Object.keys((await kvGet<Record<string, Credentials>>(CREDS)) ?? {});
}

function authHeaders(creds: Credentials): Record<string, string> {
  if (creds.token) return { "X-Tracking-Token": creds.token };
  if (creds.phone && creds.pin) {
    return { "X-Reporter-Phone": creds.phone, "X-Tracking-Pin": creds.pin };
  }
  return {};
}

export function categories(): Promise<Category[]> {
  return api.request<Category[]>("/api/public/categories", { auth: false });
}

export function similar(category: string, lat: number, lon: number): Promise<Similar[]> {
  const q = new URLSearchParams({ category, lat: lat.toFixed(6), lon: lon.toFixed(6) });
  return api.request<Similar[]>(`/api/public/similar?${q}`, { auth: false });
}

export async function follow(reference: string, who: FollowBody): Promise<ReportAnswer> {
  const answer = await api.request<ReportAnswer>(
    `/api/public/cases/${encodeURIComponent(reference)}/follow`,
    { auth: false, json: who },
  );
  await saveCredentials(answer.reference, { token: answer.tracking_token });
  return answer;
}

export function track(reference: string, creds: Credentials): Promise<Tracked> {
  return api.request<Tracked>(`/api/public/cases/${encodeURIComponent(reference)}`, {
    auth: false,
    headers: authHeaders(creds),
  });
}

export function rate(
  reference: string,
  creds: Credentials,
  score: number,
  comment: string,
): Promise<unknown> {
  return api.request(`/api/public/cases/${encodeURIComponent(reference)}/rating`, {
    auth: false,
    headers: authHeaders(creds),
    json: { score, comment },
  });
}

export function dispute(reference: string, creds: Credentials, reason: string): Promise<unknown> {
  return api.request(`/api/public/cases/${encodeURIComponent(reference)}/dispute`, {
    auth: false,
    headers: authHeaders(creds),
    json: { reason },
  });
}

// --- the queue of reports made on this phone ----------------------------------------------------

export interface QueuedReport {
  /** The Idempotency-Key of the report, made when it was queued. */
  key: string;
  /** The exact JSON body: a replay sends the same bytes. */
  body: string;
  photos: Blob[];
  createdAt: number;
  /** Set once the API has answered; then only the photos may still be waiting. */
  answer?: ReportAnswer;
  error?: { status: number; code: string; detail: string };
}

export async function queuedReports(): Promise<QueuedReport[]> {
  return (await kvGet<QueuedReport[]>(QUEUE)) ?? [];
}

async function saveQueue(items: QueuedReport[]): Promise<void> {
  await kvSet(QUEUE, items);
}

export async function queueReport(body: ReportBody, photos: Blob[]): Promise<QueuedReport> {
  const item: QueuedReport = {
    key: uuid(),
    body: JSON.stringify(body),
    photos,
    createdAt: Date.now(),
  };
  await saveQueue([...(await queuedReports()), item]);
  return item;
}

export interface SentReport {
  key: string;
  answer: ReportAnswer;
}

/** Reports sent from the queue, newest last, for the page that queued them to pick up. */
export async function sentReports(): Promise<SentReport[]> {
  return (await kvGet<SentReport[]>(DONE)) ?? [];
}

async function uploadPhotos(answer: ReportAnswer, photos: Blob[]): Promise<void> {
  if (!photos.length) return;
  const form = new FormData();
  photos.forEach((p, i) => {
    form.append("files", p, `foto-${i + 1}.jpg`);
  });
  await api.request(answer.photos_url, {
    auth: false,
    body: form,
    headers: { "X-Tracking-Token": answer.tracking_token },
  });
}

let flushing: Promise<SentReport[]> | null = null;

/**
 * Send every queued report (then its photos). Stops at the first network failure and keeps
 * the rest; a refusal (4xx) is kept on the item with the server's words. Returns what was sent.
 */
export function flushReports(): Promise<SentReport[]> {
  if (!flushing) {
    flushing = doFlush().finally(() => {
      flushing = null;
    });
  }
  return flushing;
}

async function doFlush(): Promise<SentReport[]> {
  const sent: SentReport[] = [];
  const items = await queuedReports();
  for (const item of items) {
    if (item.error) continue;
    try {
      if (!item.answer) {
        item.answer = await api.request<ReportAnswer>("/api/public/reports", {
          auth: false,
          body: item.body,
          headers: { "Content-Type": "application/json" },
          idempotencyKey: item.key,
        });
        await saveCredentials(item.answer.reference, {
          token: item.answer.tracking_token,
          pin: item.answer.pin,
        });
        await saveQueue(items);
      }
      await uploadPhotos(item.answer, item.photos);
      await done(sent, item.key, item.answer);
    } catch (err) {
      if (err instanceof NetworkError) break;
      if (err instanceof ApiError && (err.status >= 500 || err.status === 429)) break;
      if (err instanceof ApiError) {
        if (item.answer) {
          // The report is in; only its photos were refused: do not hold the report back.
          await done(sent, item.key, item.answer);
          continue;
        }
        item.error = { status: err.status, code: err.code, detail: err.detail };
        await saveQueue(items);
        continue;
      }
      throw err;
    }
  }
  return sent;
}

async function done(sent: SentReport[], key: string, answer: ReportAnswer): Promise<void> {
  sent.push({ key, answer });
  await saveQueue((await queuedReports()).filter((i) => i.key !== key));
  await kvSet(DONE, [...(await sentReports()), { key, answer }].slice(-20));
}

export async function discardReport(key: string): Promise<void> {
  await saveQueue((await queuedReports()).filter((i) => i.key !== key));
}
