/** "Beri tahu saya": this phone follows one case by push, with the case's tracking token. */
import { ApiError } from "../lib/api";
import { type PushOutcome, pushSupported, urlBase64ToBytes, withTimeout } from "../lib/push";
import { api } from "../lib/session";

export async function followByPush(
  token: string,
  publicKey: string | null | undefined,
  language: string,
  timeoutMs = 10_000,
): Promise<{ outcome: PushOutcome; detail?: string }> {
  if (!pushSupported()) return { outcome: "unsupported" };
  try {
    let permission = Notification.permission;
    if (permission === "default") {
      permission = await withTimeout(Notification.requestPermission(), timeoutMs);
    }
    if (permission !== "granted") return { outcome: permission === "denied" ? "denied" : "failed" };
    const reg = await withTimeout(navigator.serviceWorker.ready, timeoutMs);
    let sub = await withTimeout(reg.pushManager.getSubscription(), timeoutMs);
    if (!sub) {
      const key =
        publicKey ??
        (await api.request<{ public_key: string }>("/api/push/public-key", { auth: false }))
          .public_key;
      sub = await withTimeout(
        reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: urlBase64ToBytes(key),
        }),
        timeoutMs,
      );
    }
    const json = sub.toJSON();
    await api.request("/api/push/subscriptions", {
      auth: false,
      json: {
        endpoint: json.endpoint ?? sub.endpoint,
        keys: { p256dh: json.keys?.p256dh ?? "", auth: json.keys?.auth ?? "" },
        tracking_token: token,
        language,
      },
    });
    return { outcome: "enabled" };
  } catch (err) {
    if (err instanceof ApiError) return { outcome: "failed", detail: err.detail || err.code };
    const e = err as Error;
    if (e?.message === "timeout") return { outcome: "timeout" };
    if (e?.name === "NotAllowedError") return { outcome: "denied" };
    return { outcome: "failed", detail: e?.message ?? String(err) };
  }
}
