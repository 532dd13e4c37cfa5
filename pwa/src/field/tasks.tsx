/** My tasks: the team's open cases, most urgent first, readable with no signal. */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import {
  isOverdue,
  loadTasks,
  nextDeadline,
  prefetchCases,
  sortTasks,
  withPending,
} from "../lib/cases";
import { currentPosition, distanceM, type Position } from "../lib/geo";
import { formatDistance, formatTime, type Key, t } from "../lib/i18n";
import { categoryName, useReference } from "../lib/reference";
import { api } from "../lib/session";
import { useStore } from "../lib/store";
import type { CaseSummary } from "../lib/types";
import { app, signOut, startPush } from "../shell/state";
import { OverdueBadge, PageTitle, PriorityBadge, statusLabel } from "../shell/ui";
import { FormError } from "../ui/form-field";
import { duty, loadDuty, setDuty, stopTracking } from "./duty";

function whenIdle(fn: () => void): void {
  const idle = (
    globalThis as { requestIdleCallback?: (cb: () => void, o: { timeout: number }) => number }
  ).requestIdleCallback;
  if (idle) idle(fn, { timeout: 5000 });
  else setTimeout(fn, 2000);
}

interface TaskList {
  items: CaseSummary[];
  cachedAt: number;
  fromCache: boolean;
}

function DutySwitch({ userId }: { userId: number }) {
  const d = useStore(duty);
  // Same height before the team is known: nothing below jumps when it arrives.
  if (!d.loaded) return <div class="duty card" aria-busy="true" />;
  if (!d.team) return <p class="duty card muted">{t("duty.no_team")}</p>;
  return (
    <div class="duty card">
      <button
        type="button"
        role="switch"
        aria-checked={d.onDuty}
        class={`switch ${d.onDuty ? "on" : "off"}`}
        onClick={() => void setDuty(userId, !d.onDuty)}
        data-testid="duty-switch"
      >
        <span class="switch-track" aria-hidden="true">
          <span class="switch-thumb" />
        </span>
        <span class="switch-label">
          <span class="small muted">{t("duty.label")}</span>
          <strong>{d.onDuty ? t("duty.on") : t("duty.off")}</strong>
        </span>
      </button>
      <p class="muted small">
        {t("tasks.team", { teams: d.teams.map((x) => x.name).join(", ") })} ·{" "}
        {d.onDuty ? t("duty.on_hint") : t("duty.off_hint")}
      </p>
      {d.geoDenied && <p class="error">{t("duty.geo_denied")}</p>}
    </div>
  );
}

function PushNotice() {
  const s = useStore(app);
  if (!s.push || s.push === "enabled") return null;
  const key: Key =
    s.push === "unsupported"
      ? "push.unsupported"
      : s.push === "denied"
        ? "push.denied"
        : s.push === "timeout"
          ? "push.timeout"
          : "push.failed";
  return (
    <div class="notice" data-testid="push-notice">
      <p>{t(key, { detail: s.pushDetail })}</p>
      {(s.push === "timeout" || s.push === "failed") && (
        <button type="button" class="btn btn-secondary" onClick={() => void startPush(true)}>
          {t("push.enable")}
        </button>
      )}
    </div>
  );
}

function TaskCard({ c, here }: { c: CaseSummary & { pending: number }; here: Position | null }) {
  const overdue = isOverdue(c);
  const distance = here ? distanceM(here.lat, here.lon, c.lat, c.lon) : null;
  return (
    <li>
      <a
        class={`task prio-edge-${c.priority} ${overdue ? "is-overdue" : ""}`}
        href={`/cases/${c.id}`}
        data-testid="task"
        data-reference={c.reference}
      >
        <div class="task-top">
          <strong class="ref">{c.reference}</strong>
          <PriorityBadge priority={c.priority} />
          {overdue && <OverdueBadge />}
        </div>
        <div class="task-cat">{categoryName(c.category)}</div>
        <div class="task-where">
          {[c.address, c.landmark].filter(Boolean).join(" · ") || c.area_name || ""}
        </div>
        <div class="task-meta">
          <span class="badge status" data-testid="task-status">
            {c.pending > 0
              ? t("status.pending_sync", { status: statusLabel(c.status) })
              : statusLabel(c.status)}
          </span>
          <span>{t("tasks.due", { time: formatTime(nextDeadline(c)) })}</span>
          {distance !== null && <span>{t("tasks.distance", { d: formatDistance(distance) })}</span>}
        </div>
      </a>
    </li>
  );
}

export function Tasks() {
  useReference();
  const s = useStore(app);
  const user = s.session?.user;
  const [list, setList] = useState<TaskList | null>(null);
  const [error, setError] = useState("");
  const [loading, setLoading] = useState(true);
  const [here, setHere] = useState<Position | null>(null);

  async function reload() {
    if (!user) return;
    setLoading(true);
    setError("");
    try {
      const loaded = await loadTasks(api, user.id);
      if (loaded) {
        setList({ items: loaded.data, cachedAt: loaded.cachedAt, fromCache: loaded.fromCache });
        // Saving every task for offline use is background work: not while the screen loads.
        if (!loaded.fromCache) whenIdle(() => void prefetchCases(api, sortTasks(loaded.data)));
      }
    } catch (err) {
      setError(
        t("tasks.load_failed", { detail: err instanceof ApiError ? err.detail : String(err) }),
      );
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    void reload();
    if (user) void loadDuty(user.team_ids);
    void currentPosition(8000).then(setHere);
  }, [user?.id]);

  // Reload when the outbox drains (the server has moved the cases on).
  const pendingCount = s.outbox.length;
  useEffect(() => {
    if (pendingCount === 0 && s.online && list) void reload();
  }, [pendingCount, s.online]);

  if (!user) return null;
  const items = sortTasks(list?.items ?? []).map((c) => withPending(c, s.outbox));
  return (
    <section class="screen" data-testid="tasks-screen">
      <PageTitle>{t("tasks.title")}</PageTitle>
      <DutySwitch userId={user.id} />
      <PushNotice />
      <div class="row between">
        <p class="muted small" data-testid="tasks-freshness">
          {list
            ? list.fromCache
              ? t("tasks.cached", { time: formatTime(list.cachedAt) })
              : t("tasks.updated", { time: formatTime(list.cachedAt) })
            : loading
              ? t("app.loading")
              : t("tasks.never")}
        </p>
        <button
          type="button"
          class="btn btn-secondary"
          onClick={() => void reload()}
          disabled={loading}
        >
          {t("tasks.refresh")}
        </button>
      </div>
      <FormError text={error} />
      {list && items.length === 0 && <p data-testid="tasks-empty">{t("tasks.empty")}</p>}
      <ul class="tasks">
        {items.map((c) => (
          <TaskCard key={c.id} c={c} here={here} />
        ))}
      </ul>
      {/* Always reachable: a shared phone must be able to sign out even if the list fails. */}
      <div class="footer-actions">
        <button
          type="button"
          class="btn btn-secondary btn-block"
          onClick={() => {
            stopTracking();
            void signOut();
          }}
        >
          {t("session.signout")}
        </button>
        {s.outbox.length > 0 && (
          <p class="muted small">{t("session.signout_pending", { n: s.outbox.length })}</p>
        )}
      </div>
    </section>
  );
}
