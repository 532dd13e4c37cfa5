/**
 * A category's form, to add one or change one: names in both languages, group, responsible and
 * supporting agencies, priority, SLA targets (minutes), dedupe radius, photo needed to resolve,
 * sensitive, active. The API checks the rules (SLA ≥ 1 minute and in order, a new code) and its
 * answer stands beside the field concerned.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { type Key, t } from "../lib/i18n";
import { priorityLabel } from "../shell/ui";
import {
  CheckedBox,
  CheckedForm,
  CheckedSelect,
  CheckedText,
  FieldError,
} from "../ui/checked-field";
import { useFormProblem } from "../ui/form-problem";
import { namedOptions, send } from "./data";

type Agency = Schema<"AgencyOut">;
type Category = Schema<"admin_CategoryOut">;
type Body = Schema<"CategoryIn">;

const TEXTS = ["code", "name_id", "name_en", "group"] as const;
const NUMBERS = ["sla_accept_min", "sla_arrive_min", "sla_resolve_min", "dedupe_radius_m"] as const;
const CHECKS = ["photo_required", "sensitive", "active"] as const;
const FIELDS = [...TEXTS, ...NUMBERS, ...CHECKS, "agency_id", "priority", "supporting_agency_ids"];
const CODES = {
  already_exists: "code",
  sla_order: "sla_arrive_min",
  unknown_reference: "agency_id",
};
const PRIORITIES = ["P1", "P2", "P3"] as const;

type Values = Record<
  (typeof TEXTS)[number] | (typeof NUMBERS)[number] | "agency_id" | "priority",
  string
> &
  Record<(typeof CHECKS)[number], boolean> & { supporting_agency_ids: string[] };

const BLANK: Values = {
  code: "",
  name_id: "",
  name_en: "",
  group: "",
  agency_id: "",
  priority: "P3",
  sla_accept_min: "15",
  sla_arrive_min: "60",
  sla_resolve_min: "1440",
  dedupe_radius_m: "100",
  photo_required: false,
  sensitive: false,
  active: true,
  supporting_agency_ids: [],
};

function valuesOf(c: Category | null): Values {
  if (!c) return BLANK;
  return {
    ...c,
    agency_id: String(c.agency_id),
    sla_accept_min: String(c.sla_accept_min),
    sla_arrive_min: String(c.sla_arrive_min),
    sla_resolve_min: String(c.sla_resolve_min),
    dedupe_radius_m: String(c.dedupe_radius_m),
    supporting_agency_ids: c.supporting_agency_ids.map(String),
  };
}

/** A number from its input; an empty input is sent as it is, for the API to name. */
const num = (v: string) => (v.trim() === "" ? (null as unknown as number) : Number(v));

export function CategoryForm(p: {
  editing: Category | null;
  agencies: Agency[] | null;
  done: (saved: Category) => void;
}) {
  const [v, setV] = useState<Values>(() => valuesOf(p.editing));
  const { busy, problem, run } = useFormProblem(FIELDS, CODES);
  const form = p.editing ? "category-edit" : "category-new";
  const text = (name: (typeof TEXTS)[number] | (typeof NUMBERS)[number]) => ({
    form,
    name,
    label: t(`admin.category.${name}` as Key),
    value: v[name],
    onValue: (value: string) => setV({ ...v, [name]: value }),
    error: problem.fields[name],
  });
  const check = (name: (typeof CHECKS)[number]) => ({
    form,
    name,
    label: t(`admin.category.${name}` as Key),
    checked: v[name],
    onValue: (value: boolean) => setV({ ...v, [name]: value }),
    error: problem.fields[name],
  });

  const submit = () =>
    run(async () => {
      // The extra questions (Open311 attributes) are kept as they are: sent only for a new one.
      const body: Omit<Body, "attributes"> = {
        code: v.code.trim().toUpperCase(),
        name_id: v.name_id.trim(),
        name_en: v.name_en.trim(),
        group: v.group.trim(),
        agency_id: num(v.agency_id),
        priority: v.priority as Body["priority"],
        sla_accept_min: num(v.sla_accept_min),
        sla_arrive_min: num(v.sla_arrive_min),
        sla_resolve_min: num(v.sla_resolve_min),
        dedupe_radius_m: num(v.dedupe_radius_m),
        photo_required: v.photo_required,
        sensitive: v.sensitive,
        active: v.active,
        supporting_agency_ids: v.supporting_agency_ids.map(Number),
      };
      const saved = p.editing
        ? await send<Category>(`/api/admin/categories/${p.editing.id}`, "PATCH", body)
        : await send<Category>("/api/admin/categories", "POST", { ...body, attributes: [] });
      if (!p.editing) setV(BLANK);
      p.done(saved);
    });

  const supportId = `${form}-supporting_agency_ids`;
  return (
    <CheckedForm
      id={form}
      title={
        p.editing ? t("admin.category.edit", { name: p.editing.name_id }) : t("admin.category.new")
      }
      submit={t(p.editing ? "admin.save" : "admin.category.create")}
      busy={busy}
      general={problem.general}
      onSubmit={submit}
    >
      <CheckedText {...text("code")} />
      <CheckedText {...text("name_id")} />
      <CheckedText {...text("name_en")} />
      <CheckedText {...text("group")} />
      <CheckedSelect
        form={form}
        name="agency_id"
        label={t("admin.col.agency")}
        value={v.agency_id}
        onValue={(agency_id) => setV({ ...v, agency_id })}
        options={namedOptions(p.agencies)}
        none={t("admin.choose")}
        error={problem.fields.agency_id}
      />
      <div class="checked-field">
        <label class="field" for={supportId}>
          <span>{t("admin.category.supporting_agency_ids")}</span>
          <select
            id={supportId}
            multiple
            size={4}
            onChange={(e) =>
              setV({
                ...v,
                supporting_agency_ids: Array.from(e.currentTarget.selectedOptions, (o) => o.value),
              })
            }
          >
            {namedOptions(p.agencies).map((o) => (
              <option
                key={o.value}
                value={o.value}
                selected={v.supporting_agency_ids.includes(String(o.value))}
              >
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <FieldError id={`${supportId}-error`} text={problem.fields.supporting_agency_ids} />
      </div>
      <CheckedSelect
        form={form}
        name="priority"
        label={t("admin.col.priority")}
        value={v.priority}
        onValue={(priority) => setV({ ...v, priority })}
        options={PRIORITIES.map((x) => ({ value: x, label: priorityLabel(x) }))}
        error={problem.fields.priority}
      />
      {NUMBERS.map((name) => (
        <CheckedText key={name} {...text(name)} type="number" />
      ))}
      {CHECKS.map((name) => (
        <CheckedBox key={name} {...check(name)} />
      ))}
    </CheckedForm>
  );
}
