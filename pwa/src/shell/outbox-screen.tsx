/** The outbox, item by item: what waits for signal, and what the server refused and why. */
import { useState } from "preact/hooks";
import { loadCase } from "../lib/cases";
import { formatTime, type Key, t } from "../lib/i18n";
import { discard, type OutboxItem, rebase } from "../lib/outbox";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import { app, showToast, syncNow } from "./state";
import { PageTitle } from "./ui";

export function describeProblem(item: OutboxItem): string {
  const ref = item.caseRef;
  const detail = item.error?.detail ?? "";
  if (item.error?.code === "version_conflict") {
    return `${t("conflict.version_conflict", { ref })} ${detail}`.trim();
  }
  if (item.error?.code === "transition_not_allowed") {
    return t("conflict.transition_not_allowed", { ref, detail });
  }
  return t("conflict.generic", { ref, detail: detail || item.error?.code || "" });
}

function itemTitle(item: OutboxItem): string {
  if (item.kind === "duty") return item.onDuty ? t("duty.on") : t("duty.off");
  const action = item.action ? t(`action.${item.action}` as Key) : "";
  return `${action} · ${item.caseRef}`;
}

function OutboxRow({ item, blocked }: { item: OutboxItem; blocked: boolean }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const state = blocked ? "blocked" : item.state;
  const stateKey = `outbox.state.${state}` as Key;

  async function retry() {
    if (item.seq === undefined) return;
    setBusy(true);
    try {
      const fresh = await loadCase(api, item.caseId);
      if (fresh && !fresh.fromCache) {
        await rebase(item.seq, fresh.data.version);
        await syncNow();
      } else {
        showToast("error.network");
      }
    } catch (err) {
      showToast("error.unknown", undefined, (err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class={`outbox-item state-${state}`} data-testid="outbox-item" data-state={state}>
      <div class="outbox-head">
        <strong>{itemTitle(item)}</strong>
        <span class={`badge state-${state}`}>{t(stateKey)}</span>
      </div>
      {item.note && <p class="note">“{item.note}”</p>}
      <p class="muted small">
        {t("outbox.queued_at", { time: formatTime(item.createdAt) })}
        {item.photos.length > 0 && <> · {t("outbox.photos", { n: item.photos.length })}</>}
        {item.attempts > 0 && <> · {t("outbox.attempts", { n: item.attempts })}</>}
      </p>
      {blocked && <p>{t("conflict.blocked")}</p>}
      {item.state !== "pending" && (
        <p class="problem" data-testid="outbox-problem">
          {describeProblem(item)}
        </p>
      )}
      <div class="row wrap">
        {item.caseId && (
          <a class="btn btn-secondary" href={`/cases/${item.caseId}`}>
            {t("outbox.open_case")}
          </a>
        )}
        {item.state !== "pending" && item.kind === "transition" && (
          <button type="button" class="btn btn-secondary" disabled={busy} onClick={retry}>
            {t("outbox.retry")}
          </button>
        )}
        {item.state !== "pending" &&
          (confirming ? (
            <div class="confirm" role="alert">
              <p>{t("outbox.discard_confirm")}</p>
              <div class="row">
                <button
                  type="button"
                  class="btn btn-danger"
                  onClick={() => item.seq !== undefined && void discard(item.seq)}
                >
                  {t("outbox.discard")}
                </button>
                <button
                  type="button"
                  class="btn btn-secondary"
                  onClick={() => setConfirming(false)}
                >
                  {t("app.cancel")}
                </button>
              </div>
            </div>
          ) : (
            <button type="button" class="btn btn-secondary" onClick={() => setConfirming(true)}>
              {t("outbox.discard")}
            </button>
          ))}
      </div>
    </li>
  );
}

export function OutboxScreen() {
  const s = useStore(app);
  return (
    <section class="screen" data-testid="outbox-screen">
      <PageTitle>{t("outbox.title")}</PageTitle>
      <p class="muted">{t("outbox.explain")}</p>
      <div class="row">
        <button
          type="button"
          class="btn btn-primary"
          disabled={s.syncing || !s.online || !s.outbox.some((i) => i.state === "pending")}
          onClick={() => void syncNow()}
        >
          {s.syncing ? t("outbox.syncing") : t("outbox.sync_now")}
        </button>
      </div>
      {s.outbox.length === 0 ? (
        <p data-testid="outbox-empty">{t("outbox.empty")}</p>
      ) : (
        <ol class="outbox-list">
          {s.outbox.map((item) => (
            <OutboxRow
              key={item.seq}
              item={item}
              blocked={item.seq !== undefined && s.blocked.has(item.seq)}
            />
          ))}
        </ol>
      )}
    </section>
  );
}
