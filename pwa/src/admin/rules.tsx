/**
 * Routing rules: "in this area, this category (or every category) goes to this agency or team".
 * The list, a form to add one (its area drawn on the map above as it is chosen) and deleting one.
 */
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { CheckedForm, choice, useCheckedForm } from "../ui/checked-field";
import { ErrorText } from "../ui/room-table";
import { idOrNull, named, namedOptions, nameOf, send, useAction, useList } from "./data";
import { RoutingPreviewBox } from "./preview";
import { AdminTable, RowButton } from "./table";

type Area = Schema<"AreaOut">;
type Rule = Schema<"RoutingRuleOut">;
type Agency = Schema<"AgencyOut">;
type Category = Schema<"admin_CategoryOut">;
type Team = Schema<"TeamOut">;

const CODES = { routing_rule_empty: "agency_id", unknown_reference: "area_id" };

export function RulesPanel({
  areas,
  onArea,
  point,
}: {
  areas: Area[];
  onArea: (id: number) => void;
  point: { lat: number; lon: number } | null;
}) {
  const rules = useList<Rule>("/api/admin/routing-rules");
  const agencies = useList<Agency>("/api/admin/agencies");
  const categories = useList<Category>("/api/admin/categories");
  const teams = useList<Team>("/api/admin/teams");
  const blank = { area_id: "", category_id: "", agency_id: "", team_id: "", note: "" };
  const form = useCheckedForm("rule-new", blank, {
    codes: CODES,
    save,
    changed: (name, value) => {
      if (name === "area_id" && value) onArea(Number(value));
    },
  });
  const v = form.values;
  const action = useAction(rules.reload);

  async function save(v: typeof blank) {
    const body = {
      area_id: idOrNull(v.area_id),
      category_id: idOrNull(v.category_id),
      agency_id: idOrNull(v.agency_id),
      team_id: idOrNull(v.team_id),
      note: v.note.trim(),
    };
    await send<Rule>("/api/admin/routing-rules", "POST", body);
    form.reset();
    await rules.reload();
  }
  const remove = (rule: Rule) =>
    action.act(() => send<null>(`/api/admin/routing-rules/${rule.id}`, "DELETE"));
  const areaOptions = areas.map((a) => ({ value: a.id, label: a.name }));
  const categoryOptions = namedOptions(categories.rows);
  const teamOptions = (teams.rows ?? [])
    .filter((x) => !v.agency_id || String(x.agency_id) === v.agency_id)
    .map((x) => ({ value: x.id, label: x.name }));

  return (
    <>
      <ErrorText error={rules.error || action.error} />
      <AdminTable
        id="rules"
        title={t("admin.rule.list")}
        rows={rules.rows ?? []}
        cols={[
          ["admin.rule.area", (r) => nameOf(areas, r.area_id, (a) => a.name)],
          [
            "admin.rule.category",
            (r) =>
              r.category_id === null
                ? t("admin.rule.every_category")
                : nameOf(categories.rows, r.category_id, named),
          ],
          ["admin.col.agency", (r) => nameOf(agencies.rows, r.agency_id, named)],
          ["admin.rule.team", (r) => nameOf(teams.rows, r.team_id, (x) => x.name)],
          ["admin.rule.note", (r) => r.note || "—"],
        ]}
        actions={(r) => (
          <>
            <RowButton onClick={() => onArea(r.area_id)}>{t("admin.rule.show")}</RowButton>
            <RowButton danger testid={`rule-delete-${r.id}`} onClick={() => remove(r)}>
              {t("admin.rule.delete")}
            </RowButton>
          </>
        )}
      />
      <CheckedForm
        form={form}
        title={t("admin.rule.new")}
        button={t("admin.rule.create")}
        fields={[
          choice("area_id", t("admin.rule.area"), areaOptions, t("admin.choose")),
          choice(
            "category_id",
            t("admin.rule.category"),
            categoryOptions,
            t("admin.rule.every_category"),
          ),
          choice("agency_id", t("admin.col.agency"), namedOptions(agencies.rows), t("admin.none")),
          choice("team_id", t("admin.rule.team"), teamOptions, t("admin.none")),
          { name: "note", label: t("admin.rule.note") },
        ]}
      />
      <RoutingPreviewBox categories={categories.rows} point={point} />
    </>
  );
}
