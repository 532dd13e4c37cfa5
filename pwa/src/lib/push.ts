/**
 * Web Push, the one subscribe flow: staff subscribe after sign-in (the subscription is theirs),
 * a citizen follows one report with its tracking token (no account, no session). Either way the
 * browser's subscription is registered with the API. `pushManager.subscribe` can hang forever (some headless and embedded browsers never
 * answer), so every wait is raced with a timeout and ends in a plain outcome the UI can explain.
 */
import { type Api, ApiError } from "./api";
import type { Schema } from "./api-types";

export type PushOutcome = "enabled" | "unsupported" | "denied" | "timeout" | "failed";

export interface PushResult {
  outcome: PushOutcome;
  detail?: string;
}

class Timeout extends Error {}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Timeout("timeout")), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** base64url (the API's VAPID public key) to the bytes `applicationServerKey` wants. */
export function urlBase64ToBytes(value: string): Uint8Array<ArrayBuffer> {
  const padded =
    value.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (value.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Whether a subscription's server key is `key` (browsers that do not say are trusted). */
export function sameBytes(held: ArrayBuffer | null, key: Uint8Array): boolean {
  if (!held) return true;
  const a = new Uint8Array(held);
  return a.length === key.length && a.every((b, i) => b === key[i]);
}

export function pushSupported(): boolean {
  return (
    typeof navigator !== "undefined" &&
    "serviceWorker" in navigator &&
    typeof window !== "undefined" &&
    "PushManager" in window &&
    "Notification" in window
  );
}

async function publicKey(
  api: Api,
  fromConfig: string | null | undefined,
  auth: boolean,
): Promise<string> {
  if (fromConfig) return fromConfig;
  const r = await api.request<Schema<"PublicKeyOut">>("/api/push/public-key", { auth });
  return r.public_key;
}

export interface PushOptions {
  language: NonNullable<Schema<"SubscriptionIn">["language"]>;
  configKey?: string | null;
  timeoutMs?: number;
  /** false: subscribe only if permission was already given (never prompt). */
  ask?: boolean;
  /** A citizen following one report: pushes for that case, without a session. */
  trackingToken?: string;
  /** A citizen asking for a kecamatan's area warnings, without a session. */
  warningAreaId?: number;
}

export async function enablePush(api: Api, opts: PushOptions): Promise<PushResult> {
  if (!pushSupported()) return { outcome: "unsupported" };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const auth = !opts.trackingToken && opts.warningAreaId === undefined;
  try {
    let permission = Notification.permission;
    if (permission === "default" && opts.ask !== false) {
      permission = await withTimeout(Notification.requestPermission(), timeoutMs);
    }
    if (permission !== "granted") return { outcome: permission === "denied" ? "denied" : "failed" };
    const reg = await withTimeout(navigator.serviceWorker.ready, timeoutMs);
    const key = urlBase64ToBytes(await publicKey(api, opts.configKey, auth));
    let sub = await withTimeout(reg.pushManager.getSubscription(), timeoutMs);
    // After the city rotated its VAPID keys, a subscription made for the old key can no
    // longer be sent to: drop it and subscribe again for the key in force.
    if (sub && !sameBytes(sub.options.applicationServerKey, key)) {
      await withTimeout(sub.unsubscribe(), timeoutMs);
      sub = null;
    }
    if (!sub) {
      sub = await withTimeout(
        reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }),
        timeoutMs,
      );
    }
    const json = sub.toJSON();
    if (opts.warningAreaId !== undefined) {
      const warn: Schema<"WarningSubscriptionIn"> = {
        endpoint: json.endpoint ?? sub.endpoint,
        keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
        area_id: opts.warningAreaId,
        language: opts.language,
      };
      await api.request("/api/public/warnings/subscriptions", { method: "POST", auth, json: warn });
      return { outcome: "enabled" };
    }
    const body: Schema<"SubscriptionIn"> = {
      endpoint: json.endpoint ?? sub.endpoint,
      keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
      language: opts.language,
      ...(opts.trackingToken ? { tracking_token: opts.trackingToken } : {}),
    };
    await api.request("/api/push/subscriptions", { method: "POST", auth, json: body });
    return { outcome: "enabled" };
  } catch (err) {
    if (err instanceof Timeout) return { outcome: "timeout" };
    if (err instanceof ApiError) return { outcome: "failed", detail: err.detail || err.code };
    const e = err as Error;
    if (e?.name === "NotAllowedError") return { outcome: "denied" };
    return { outcome: "failed", detail: e?.message ?? String(err) };
  }
}

/** On sign-out: stop pushes to this phone for the signed-out user. */
export async function disablePush(api: Api, timeoutMs = 5_000): Promise<void> {
  if (!pushSupported()) return;
  try {
    const reg = await withTimeout(navigator.serviceWorker.ready, timeoutMs);
    const sub = await withTimeout(reg.pushManager.getSubscription(), timeoutMs);
    if (!sub) return;
    await api
      .request("/api/push/subscriptions", { method: "DELETE", json: { endpoint: sub.endpoint } })
      .catch(() => undefined);
    await sub.unsubscribe();
  } catch {
    // Best effort: the API drops dead subscriptions when a push bounces.
  }
}
