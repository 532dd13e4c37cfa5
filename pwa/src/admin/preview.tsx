/**
 * The routing preview: "a case here in this category goes to …", for the point marked on the
 * map and the category chosen, as intake would route it with the rules saved now.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { ErrorText } from "../ui/room-table";
import type { RoutingPreview } from "./contract";
import { loadError, namedOptions, send } from "./data";
import { AdminFilters } from "./table";

type Category = Schema<"admin_CategoryOut">;

function said(p: RoutingPreview): string {
  const to = p.team_name ? `${p.agency_name} · ${p.team_name}` : p.agency_name;
  if (p.out_of_area) return t("admin.preview.out_of_area", { to });
  const where = p.area_name ?? "—";
  return t(p.rule_id === null ? "admin.preview.default" : "admin.preview.rule", { where, to });
}

export function RoutingPreviewBox(p: {
  categories: Category[] | null;
  point: { lat: number; lon: number } | null;
}) {
  const [category, setCategory] = useState("");
  const [answer, setAnswer] = useState("");
  const [error, setError] = useState("");
  async function ask() {
    setError("");
    setAnswer("");
    if (!p.point || !category) {
      setError(t("admin.preview.need"));
      return;
    }
    try {
      const body = { category_id: Number(category), lat: p.point.lat, lon: p.point.lon };
      setAnswer(said(await send<RoutingPreview>("/api/admin/routing-rules/preview", "POST", body)));
    } catch (err) {
      setError(loadError(err));
    }
  }
  return (
    <section class="checked-form" aria-labelledby="preview-h" data-testid="routing-preview">
      <h3 id="preview-h">{t("admin.preview.title")}</h3>
      <p class="muted">{t("admin.preview.hint")}</p>
      <AdminFilters
        form="preview"
        values={{ category }}
        onValue={(_, value) => setCategory(value)}
        filters={[
          {
            name: "category",
            label: t("admin.rule.category"),
            options: namedOptions(p.categories),
            none: t("admin.choose"),
          },
        ]}
      />
      <p>
        {p.point
          ? t("admin.preview.point", { lat: p.point.lat.toFixed(5), lon: p.point.lon.toFixed(5) })
          : t("admin.preview.no_point")}
      </p>
      <button type="button" class="btn btn-secondary" onClick={ask}>
        {t("admin.preview.ask")}
      </button>
      <ErrorText error={error} />
      {answer && (
        <p class="banner" role="status" data-testid="preview-answer">
          {answer}
        </p>
      )}
    </section>
  );
}
