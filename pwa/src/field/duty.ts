/**
 * On/off duty for the officer's team. The switch is an outbox action (it must reach dispatch);
 * position pings are sent only while on duty and only when online: each carries its own time,
 * and a stale position replayed hours later would mislead dispatch more than a gap.
 */
import { NetworkError } from "../lib/api";
import { kvGet, kvSet } from "../lib/db";
import { DutyTracker, type Position } from "../lib/geo";
import { queueDuty } from "../lib/outbox";
import { api } from "../lib/session";
import { createStore } from "../lib/store";
import type { Team } from "../lib/types";
import { requestBackgroundSync, syncNow } from "../shell/state";

export interface DutyState {
  loaded: boolean;
  team: Team | null;
  teams: Team[];
  onDuty: boolean;
  geoDenied: boolean;
  lastPingAt: number | null;
}

export const duty = createStore<DutyState>({
  loaded: false,
  team: null,
  teams: [],
  onDuty: false,
  geoDenied: false,
  lastPingAt: null,
});

async function ping(p: Position): Promise<void> {
  const team = duty.get().team;
  if (!team || !navigator.onLine) return;
  try {
    await api.request(`/api/teams/${team.id}/positions`, {
      method: "POST",
      json: {
        lat: p.lat,
        lon: p.lon,
        accuracy_m: Math.round(p.accuracy_m),
        at: new Date(p.at).toISOString(),
      },
    });
    duty.set({ lastPingAt: Date.now() });
  } catch (err) {
    if (!(err instanceof NetworkError)) console.warn("position ping refused", err);
  }
}

const tracker = new DutyTracker(
  (p) => void ping(p),
  () => duty.set({ geoDenied: true }),
);

function applyTracking(onDuty: boolean): void {
  if (onDuty) tracker.start();
  else tracker.stop();
}

/** The officer's teams (cached for offline starts) and the duty state of the first one. */
export async function loadDuty(teamIds: number[]): Promise<void> {
  let teams: Team[] | undefined;
  try {
    teams = await api.request<Team[]>("/api/teams");
    await kvSet("teams", teams);
  } catch {
    teams = await kvGet<Team[]>("teams");
  }
  const mine = (teams ?? []).filter((t) => teamIds.includes(t.id));
  const team = mine[0] ?? null;
  // An unsent switch on this phone wins over the server's older answer.
  const local = await kvGet<{ teamId: number; onDuty: boolean }>("duty");
  const onDuty =
    local && team && local.teamId === team.id ? local.onDuty : (team?.on_duty ?? false);
  duty.set({ teams: mine, team, onDuty, loaded: true });
  applyTracking(onDuty);
}

export async function setDuty(userId: number, onDuty: boolean): Promise<void> {
  const team = duty.get().team;
  if (!team) return;
  duty.set({ onDuty, geoDenied: false });
  await kvSet("duty", { teamId: team.id, onDuty });
  await queueDuty(userId, team.id, onDuty);
  applyTracking(onDuty);
  void requestBackgroundSync();
  if (navigator.onLine) await syncNow();
}

export function stopTracking(): void {
  tracker.stop();
}
