/**
 * A team's last reported position (its members' pings keep it on the team): when, in words ("5
 * menit lalu") and as a time, and a small map with the point. No position yet: a plain sentence,
 * no map. Tiles from /api/config; Leaflet stays in the console's own chunk.
 */
import { useEffect } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { formatTime, t } from "../lib/i18n";
import { pinMarker } from "../lib/map";
import { useStore } from "../lib/store";
import { tileSetup, useMap } from "../lib/use-map";
import { app } from "../shell/state";

type Team = Schema<"TeamOut">;
type Position = NonNullable<Team["last_position"]>;

/** How long ago `at` was, in words: seconds, minutes, hours or days. */
export function ago(at: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - new Date(at).getTime()) / 1000));
  if (s < 90) return t("intake.fix_seconds", { n: s });
  const m = Math.round(s / 60);
  if (m < 90) return t("intake.fix_minutes", { n: m });
  const h = Math.round(m / 60);
  return h < 36 ? t("admin.ago.hours", { n: h }) : t("admin.ago.days", { n: Math.round(h / 24) });
}

function PositionMap({ team, where }: { team: Team; where: Position }) {
  const { config } = useStore(app);
  const { ref, map } = useMap(
    config
      ? tileSetup(config.map, {
          center: [where.lat, where.lon],
          zoom: 15,
          options: { scrollWheelZoom: false },
        })
      : null,
  );
  useEffect(() => {
    if (!map) return;
    map.setView([where.lat, where.lon], map.getZoom());
    const marker = pinMarker([where.lat, where.lon]).bindTooltip(team.name).addTo(map);
    return () => {
      marker.remove();
    };
  }, [map, where.lat, where.lon]);
  return (
    <div
      ref={ref}
      class="admin-map admin-map-small"
      data-testid="team-position-map"
      role="application"
      aria-label={t("admin.team.position_map", { name: team.name })}
    />
  );
}

export function TeamPosition({ team }: { team: Team }) {
  const where = team.last_position;
  return (
    <section data-testid="team-position" aria-labelledby="team-position-h">
      <h4 id="team-position-h">{t("admin.team.position")}</h4>
      {where ? (
        <>
          <p data-testid="team-position-at">
            {t("admin.team.position_at", { ago: ago(where.at), time: formatTime(where.at) })}
          </p>
          <PositionMap team={team} where={where} />
        </>
      ) : (
        <p class="muted" data-testid="team-position-none">
          {t("admin.team.position_none")}
        </p>
      )}
    </section>
  );
}
