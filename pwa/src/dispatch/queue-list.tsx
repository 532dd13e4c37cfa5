/** The dispatch side list: the cases in view, most urgent first, in step with the map. */
import { useMemo } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { categoryName } from "../lib/reference";
import { statusLabel } from "../shell/ui";

/**
 * A case on the map (`GET /api/cases.geojson`). The generated feature collection leaves each
 * feature open, so this view model takes its fields from the case itself (`CaseOut`).
 */
export interface CaseFeature {
  id: string;
  geometry: { coordinates: [number, number] };
  properties: Pick<
    Schema<"CaseOut">,
    "reference" | "status" | "priority" | "agency_id" | "team_id" | "overdue"
  > & { category: string };
}

export function QueueList(p: { features: CaseFeature[]; onSelect: (id: string) => void }) {
  const list = useMemo(
    () =>
      [...p.features].sort(
        (a, b) =>
          a.properties.priority.localeCompare(b.properties.priority) ||
          Number(b.properties.overdue) - Number(a.properties.overdue) ||
          a.properties.reference.localeCompare(b.properties.reference),
      ),
    [p.features],
  );
  return (
    <section class="side-list" aria-labelledby="list-h">
      <h2 id="list-h">{t("dispatch.in_view", { n: list.length })}</h2>
      <ul class="plain-list" data-testid="case-list">
        {list.map((f) => (
          <li key={f.id}>
            <button
              type="button"
              class="case-row"
              data-reference={f.properties.reference}
              onClick={() => p.onSelect(f.id)}
            >
              <span class={`badge prio prio-${f.properties.priority}`}>
                {f.properties.priority}
              </span>
              <span class="case-row-text">
                <strong>{f.properties.reference}</strong> · {statusLabel(f.properties.status)} ·{" "}
                {categoryName({ code: f.properties.category })}
              </span>
              {f.properties.overdue && <span class="badge overdue">{t("tasks.overdue")}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
