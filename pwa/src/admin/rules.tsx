/**
 * Routing rules: "in this area, this category (or every category) goes to this agency or team".
 * The list, a form to add one (its area drawn on the map above as it is chosen) and deleting one.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { t } from "../lib/i18n";
import { CheckedForm, CheckedSelect, CheckedText } from "../ui/checked-field";
import { useFormProblem } from "../ui/form-problem";
import { ErrorText } from "../ui/room-table";
import { idOrNull, loadError, named, namedOptions, send, useList } from "./data";
import { RoutingPreviewBox } from "./preview";
import { AdminTable } from "./table";

type Area = Schema<"AreaOut">;
type Rule = Schema<"RoutingRuleOut">;
type Agency = Schema<"AgencyOut">;
type Category = Schema<"admin_CategoryOut">;
type Team = Schema<"TeamOut">;

const FIELDS = ["area_id", "category_id", "agency_id", "team_id", "note"] as const;
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
  const [v, setV] = useState(blank);
  const [error, setError] = useState("");
  const { busy, problem, run } = useFormProblem(FIELDS, CODES);
  const field = (name: (typeof FIELDS)[number]) => ({
    form: "rule-new",
    name,
    value: v[name],
    onValue: (value: string) => {
      setV({ ...v, [name]: value });
      if (name === "area_id" && value) onArea(Number(value));
    },
    error: problem.fields[name],
  });

  const nameOf = <T extends { id: number }>(
    rows: T[] | null,
    id: number | null,
    say: (x: T) => string,
  ) => {
    const x = id === null ? undefined : rows?.find((r) => r.id === id);
    return x ? say(x) : "—";
  };
  const submit = () =>
    run(async () => {
      const body = {
        area_id: idOrNull(v.area_id),
        category_id: idOrNull(v.category_id),
        agency_id: idOrNull(v.agency_id),
        team_id: idOrNull(v.team_id),
        note: v.note.trim(),
      };
      await send<Rule>("/api/admin/routing-rules", "POST", body);
      setV(blank);
      await rules.reload();
    });
  async function remove(rule: Rule) {
    setError("");
    try {
      await send<null>(`/api/admin/routing-rules/${rule.id}`, "DELETE");
      await rules.reload();
    } catch (err) {
      setError(loadError(err));
    }
  }
  const teamOptions = (teams.rows ?? [])
    .filter((x) => !v.agency_id || String(x.agency_id) === v.agency_id)
    .map((x) => ({ value: x.id, label: x.name }));

  return (
    <>
      <ErrorText error={rules.error || error} />
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
            <button
              type="button"
              class="btn btn-secondary btn-small"
              onClick={() => onArea(r.area_id)}
            >
              {t("admin.rule.show")}
            </button>
            <button
              type="button"
              class="btn btn-danger btn-small"
              data-testid={`rule-delete-${r.id}`}
              onClick={() => remove(r)}
            >
              {t("admin.rule.delete")}
            </button>
          </>
        )}
      />
      <CheckedForm
        id="rule-new"
        title={t("admin.rule.new")}
        submit={t("admin.rule.create")}
        busy={busy}
        general={problem.general}
        onSubmit={submit}
      >
        <CheckedSelect
          {...field("area_id")}
          label={t("admin.rule.area")}
          options={areas.map((a) => ({ value: a.id, label: a.name }))}
          none={t("admin.choose")}
        />
        <CheckedSelect
          {...field("category_id")}
          label={t("admin.rule.category")}
          options={namedOptions(categories.rows)}
          none={t("admin.rule.every_category")}
        />
        <CheckedSelect
          {...field("agency_id")}
          label={t("admin.col.agency")}
          options={namedOptions(agencies.rows)}
          none={t("admin.none")}
        />
        <CheckedSelect
          {...field("team_id")}
          label={t("admin.rule.team")}
          options={teamOptions}
          none={t("admin.none")}
        />
        <CheckedText {...field("note")} label={t("admin.rule.note")} />
      </CheckedForm>
      <RoutingPreviewBox categories={categories.rows} point={point} />
    </>
  );
}
