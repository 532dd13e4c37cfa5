/**
 * The call-answer clock on the dashboard (docs/call-clock.md): the share of PBX calls answered
 * within 15 s and 20 s against NENA STA-020.1's targets, the abandoned rate, average times, the
 * busy hours of the week (a 7 x 24 grid, shaded by calls), handling time per operator, and the
 * supervisor's live queue board: the calls ringing now, reloaded whenever the live stream says
 * the queue changed, their waits counted here every second.
 */
import "./clock-words";
import { useEffect, useState } from "preact/hooks";
import { openLive } from "../dispatch/live";
import { ApiError } from "../lib/api";
import type { Schema } from "../lib/api-types";
import { type Key, t } from "../lib/i18n";
import { api } from "../lib/session";
import { ErrorBanner, HeadRow } from "../ui/room-table";

export type CallClockStats = Schema<"CallClockStats">;
type QueueBoard = Schema<"QueueBoard">;
type ClockTimes = Schema<"ClockTimes">;

/** A ratio (0..1) as a percentage with one decimal. */
export function share(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : `${(Math.round(v * 1000) / 10).toFixed(1)}%`;
}

function secs(v: number | null): string {
  return v === null ? "—" : t("clock.seconds", { n: v });
}

/** A wait as m:ss. */
export function wait(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return t("clock.queue_wait", {
    m: Math.floor(total / 60),
    s: String(total % 60).padStart(2, "0"),
  });
}

function Card(p: { id: string; label: string; value: string; note?: string; tone?: string }) {
  return (
    <li>
      <div class={`kpi ${p.tone ?? ""}`} data-testid={`clock-${p.id}`}>
        <span class="kpi-label">{p.label}</span>
        <strong class="kpi-value">{p.value}</strong>
        {p.note && <span class="kpi-change">{p.note}</span>}
      </div>
    </li>
  );
}

function Averages({ a, prefix }: { a: ClockTimes; prefix: string }) {
  return (
    <>
      <Card id={`${prefix}queue`} label={t("clock.avg_queue")} value={secs(a.queue_s)} />
      <Card id={`${prefix}talk`} label={t("clock.avg_talk")} value={secs(a.talk_s)} />
      <Card id={`${prefix}wrapup`} label={t("clock.avg_wrapup")} value={secs(a.wrapup_s)} />
      <Card id={`${prefix}handling`} label={t("clock.avg_handling")} value={secs(a.handling_s)} />
    </>
  );
}

function BusyHours({ stats }: { stats: CallClockStats }) {
  const max = Math.max(1, ...stats.busy_hours.map((b) => b.calls));
  const byDay = [1, 2, 3, 4, 5, 6, 7].map((d) => stats.busy_hours.filter((b) => b.weekday === d));
  const hours = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, "0"));
  return (
    <figure class="busy-hours" data-testid="clock-busy-hours">
      <figcaption id="clock-busy-title">{t("clock.busy_title")}</figcaption>
      <p class="visually-hidden">{t("clock.busy_label")}</p>
      {/* 25 columns scroll sideways on a phone: the region takes focus so a keyboard can too. */}
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: axe asks scrolling regions to take focus */}
      <section class="table-wrap" tabIndex={0} aria-labelledby="clock-busy-title">
        <table aria-labelledby="clock-busy-title">
          <HeadRow cols={[t("clock.col_hour"), ...hours]} />
          <tbody>
            {byDay.map((row, i) => {
              const day = t(`clock.day.${i + 1}` as Key);
              return (
                <tr key={day}>
                  <th scope="row">{day}</th>
                  {row.map((b) => (
                    <td
                      key={b.hour}
                      title={t("clock.busy_cell", {
                        day,
                        hour: hours[b.hour],
                        n: b.calls,
                        a: b.abandoned,
                      })}
                      style={{ background: `rgba(0, 69, 122, ${(b.calls / max).toFixed(2)})` }}
                      class={b.calls / max > 0.72 ? "busy-dark" : undefined}
                    >
                      {b.calls || ""}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </figure>
  );
}

function Operators({ stats }: { stats: CallClockStats }) {
  if (!stats.operators.length) return <p>{t("clock.no_operators")}</p>;
  return (
    <div class="table-wrap">
      <table class="dash-table" data-testid="clock-operators" aria-labelledby="clock-ops">
        <HeadRow
          cols={[
            t("clock.col_operator"),
            t("clock.col_answered"),
            t("clock.col_within_15"),
            t("clock.col_talk"),
            t("clock.col_wrapup"),
            t("clock.col_handling"),
          ]}
        />
        <tbody>
          {stats.operators.map((o) => (
            <tr key={o.operator_id}>
              <th scope="row">{o.name ?? `#${o.operator_id}`}</th>
              <td>{o.answered}</td>
              <td>{o.within_15}</td>
              <td>{secs(o.averages.talk_s)}</td>
              <td>{secs(o.averages.wrapup_s)}</td>
              <td>{secs(o.averages.handling_s)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The period's call-answer clock; `qs` is the dashboard's period parameters. */
export function CallClock({ qs, lang }: { qs: string; lang: string }) {
  const [stats, setStats] = useState<CallClockStats | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setError(null);
    api
      .request<CallClockStats>(`/api/stats/call-clock${qs ? `?${qs}` : ""}`)
      .then((s) => live && setStats(s))
      .catch((e: unknown) => {
        if (live) setError(e instanceof ApiError ? e.message : t("error.network"));
      });
    return () => {
      live = false;
    };
  }, [qs, lang]);
  const h = stats?.headline;
  return (
    <section class="call-clock" data-testid="call-clock" aria-labelledby="clock-title">
      <h2 id="clock-title">{t("clock.title")}</h2>
      <p>{t("clock.intro")}</p>
      <QueueBoardView />
      <ErrorBanner error={error} />
      {stats && h && (
        <>
          {!h.offered.value && <p>{t("clock.no_calls")}</p>}
          <ul class="kpis" data-testid="clock-kpis">
            {stats.answer_targets.map((a) => (
              <Card
                key={a.within_s}
                id={`within-${a.within_s}`}
                label={t("clock.within", { s: a.within_s })}
                value={share(a.share.value)}
                note={`${t("clock.target", { pct: share(a.target) })} · ${
                  a.met === null ? "—" : a.met ? t("clock.met") : t("clock.missed")
                }`}
                tone={a.met === false ? "kpi-bad" : undefined}
              />
            ))}
            <Card
              id="abandoned-rate"
              label={t("clock.abandoned_rate")}
              value={share(h.abandoned_rate.value)}
              note={t("clock.previous", { v: share(h.abandoned_rate.previous) })}
            />
            <Card id="offered" label={t("clock.offered")} value={String(h.offered.value)} />
            <Card id="answered" label={t("clock.answered")} value={String(h.answered.value)} />
            <Card id="abandoned" label={t("clock.abandoned")} value={String(h.abandoned.value)} />
            <Card
              id="transferred"
              label={t("clock.transferred")}
              value={String(h.transferred.value)}
            />
            <Averages a={h.averages} prefix="avg-" />
          </ul>
          <BusyHours stats={stats} />
          <h3 id="clock-ops">{t("clock.operators")}</h3>
          <Operators stats={stats} />
        </>
      )}
    </section>
  );
}

/** The calls ringing now: loaded again on every live `queue` event, waits counted here. */
function QueueBoardView() {
  const [board, setBoard] = useState<QueueBoard | null>(null);
  const [connected, setConnected] = useState(true);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    let live = true;
    // The browser revalidates with the board's ETag ("no-cache"): an unchanged queue is a 304.
    const load = async () => {
      try {
        const next = await api.request<QueueBoard>("/api/calls/queue");
        if (live) setBoard(next);
      } catch {
        /* the next event or reconnection reloads it */
      }
    };
    void load();
    let pending: ReturnType<typeof setTimeout> | null = null;
    const stop = openLive({
      onCase: () => {},
      onPosition: () => {},
      onQueue: () => {
        // A burst of PBX events (a busy minute) costs one reload.
        if (pending) return;
        pending = setTimeout(() => {
          pending = null;
          void load();
        }, 250);
      },
      onResync: () => void load(),
      onState: (up) => {
        setConnected(up);
        if (up) void load(); // events may have been missed while away
      },
    });
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      live = false;
      if (pending) clearTimeout(pending);
      stop();
      clearInterval(tick);
    };
  }, []);
  const longest = board?.longest_since ? now - Date.parse(board.longest_since) : null;
  return (
    <section class="queue-board" data-testid="queue-board" aria-labelledby="queue-title">
      <h3 id="queue-title">{t("clock.queue")}</h3>
      <p class="queue-state" aria-live="polite">
        {connected ? t("clock.queue_live") : t("clock.queue_offline")}
      </p>
      {board && (
        <>
          <p data-testid="queue-ringing" data-value={board.ringing}>
            <strong>{t("clock.queue_ringing", { n: board.ringing })}</strong>
            {longest !== null && <> · {t("clock.queue_longest", { wait: wait(longest) })}</>}
          </p>
          {board.calls.length ? (
            <ol class="queue-calls">
              {board.calls.map((c) => (
                <li key={c.id}>
                  {t("clock.queue_call", { id: c.id })}: {wait(now - Date.parse(c.ringing_since))}
                </li>
              ))}
            </ol>
          ) : (
            <p>{t("clock.queue_empty")}</p>
          )}
        </>
      )}
    </section>
  );
}
