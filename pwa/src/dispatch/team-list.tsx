/** The teams on the dispatch map with the age of their last fix, in words. */
import { t } from "../lib/i18n";
import type { TeamItem } from "../ui/room-teams";
import type { PositionLiveEvent } from "./live";

/** How old a team's last position is ("no fix", seconds, minutes). */
export function fixAge(at: string | null, now: number): string {
  if (!at) return t("intake.no_fix");
  const s = Math.max(0, Math.round((now - new Date(at).getTime()) / 1000));
  return s < 90
    ? t("intake.fix_seconds", { n: s })
    : t("intake.fix_minutes", { n: Math.round(s / 60) });
}

export function TeamFixes(p: {
  teams: TeamItem[];
  positions: Map<number, PositionLiveEvent>;
  /** Teams whose name label found no free place on the map. */
  unlabelled: number[];
  now: number;
}) {
  if (p.teams.length === 0) return null;
  return (
    <ul class="plain-list team-fixes" aria-label={t("dispatch.teams")}>
      {p.teams.map((tm) => (
        <li key={tm.id} data-testid="team-fix" data-team={tm.name}>
          <strong>{tm.name}</strong>{" "}
          <span class="muted">{fixAge(p.positions.get(tm.id)?.at ?? null, p.now)}</span>
          {p.unlabelled.includes(tm.id) && (
            <span class="muted"> · {t("dispatch.label_hidden")}</span>
          )}
        </li>
      ))}
    </ul>
  );
}
