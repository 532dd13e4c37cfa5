/** The key to the dispatch map: every marker kind, drawn with the markers' own classes. */
import { t } from "../lib/i18n";
import { priorityLabel, statusLabel } from "../shell/ui";
import "../ui/control-words";

/** A symbol per status on the case markers; the legend names each one. */
export const STATUS_SYMBOL: Record<string, string> = {
  new: "✱",
  returned: "↩",
  reopened: "↻",
  dispatched: "⇢",
  accepted: "✓",
  en_route: "»",
  on_scene: "⚑",
  resolved: "★",
  closed: "■",
};

/** The key to every marker kind on the map, drawn with the markers' own classes. */
export function MapLegend() {
  return (
    <section class="map-legend" aria-labelledby="legend-h" data-testid="map-legend">
      <h2 id="legend-h">{t("dispatch.legend")}</h2>
      <ul class="plain-list legend-list">
        {["P1", "P2", "P3"].map((p) => (
          <li key={p}>
            <span class={`lg-case legend-mark prio-${p}`} aria-hidden="true">
              <span class="cm-prio">{p}</span>
            </span>
            {t("dispatch.legend_case", { priority: priorityLabel(p) })}
          </li>
        ))}
        <li>
          <span class="lg-case legend-mark prio-P3 overdue-static" aria-hidden="true">
            <span class="cm-prio">P3</span>
          </span>
          {t("dispatch.legend_overdue")}
        </li>
        <li>
          <span class="lg-cluster legend-mark" aria-hidden="true">
            5
          </span>
          {t("dispatch.legend_cluster")}
        </li>
        <li>
          <span class="lg-team legend-mark" aria-hidden="true" />
          <span class="lg-label legend-label" aria-hidden="true">
            {t("dispatch.legend_team_name")}
          </span>
          {t("dispatch.legend_team")}
        </li>
        <li>
          <span class="lg-area lg-warning" aria-hidden="true" />
          {t("dispatch.legend_warning")}
        </li>
        <li>
          <span class="lg-area lg-cap" aria-hidden="true" />
          {t("dispatch.legend_cap")}
        </li>
      </ul>
      <ul class="plain-list legend-list legend-status" aria-label={t("dispatch.legend_status")}>
        {Object.keys(STATUS_SYMBOL).map((st) => (
          <li key={st}>
            <span class="legend-symbol" aria-hidden="true">
              {STATUS_SYMBOL[st]}
            </span>
            {statusLabel(st)}
          </li>
        ))}
      </ul>
    </section>
  );
}
