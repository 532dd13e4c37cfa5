/**
 * A category's form, to add one or change one: names in both languages, group, responsible and
 * supporting agencies, priority, SLA targets (minutes), dedupe radius, photo needed to resolve,
 * sensitive, active, and its extra questions (`./questions`). The API checks the rules (SLA ≥ 1
 * minute and in order, a new code, well-made questions) and its answer stands beside the field
 * concerned.
 */
import { useState } from "preact/hooks";
import type { Schema } from "../lib/api-types";
import { type Key, t } from "../lib/i18n";
import { priorityLabel } from "../shell/ui";
import { CheckedForm, choice, type FieldSpec, useCheckedForm } from "../ui/checked-field";
import { namedOptions, send } from "./data";
import { QuestionsEditor, questionProblems, questionsBody, questionsOf } from "./questions";

type Agency = Schema<"AgencyOut">;
type Category = Schema<"admin_CategoryOut">;
type Body = Schema<"CategoryIn">;

const TEXTS = ["code", "name_id", "name_en", "group"] as const;
const NUMBERS = ["sla_accept_min", "sla_arrive_min", "sla_resolve_min", "dedupe_radius_m"] as const;
const CHECKS = ["photo_required", "sensitive", "active"] as const;
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
  const id = p.editing ? "category-edit" : "category-new";
  const form = useCheckedForm(id, BLANK, { codes: CODES, initial: valuesOf(p.editing), save });
  const [questions, setQuestions] = useState(() => questionsOf(p.editing?.attributes ?? []));
  const [qProblems, setQProblems] = useState<Record<string, string>>({});
  const label = (name: string) => t(`admin.category.${name}` as Key);
  const fields: FieldSpec[] = [
    ...TEXTS.map((name) => ({ name, label: label(name) })),
    choice("agency_id", t("admin.col.agency"), namedOptions(p.agencies), t("admin.choose")),
    {
      name: "supporting_agency_ids",
      label: label("supporting_agency_ids"),
      kind: "multiple",
      options: namedOptions(p.agencies),
    },
    choice(
      "priority",
      t("admin.col.priority"),
      PRIORITIES.map((x) => ({ value: x, label: priorityLabel(x) })),
    ),
    ...NUMBERS.map((name) => ({ name, label: label(name), kind: "number" as const })),
    ...CHECKS.map((name) => ({ name, label: label(name), kind: "checkbox" as const })),
  ];

  async function save(v: Values) {
    const body: Body = {
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
      attributes: questionsBody(questions) as Body["attributes"],
    };
    setQProblems({});
    let saved: Category;
    try {
      saved = p.editing
        ? await send<Category>(`/api/admin/categories/${p.editing.id}`, "PATCH", body)
        : await send<Category>("/api/admin/categories", "POST", body);
    } catch (err) {
      // A fault in a question stands beside that question's input, not above the form.
      const inQuestions = questionProblems(err);
      if (Object.keys(inQuestions).length === 0) throw err;
      setQProblems(inQuestions);
      return;
    }
    if (!p.editing) {
      form.reset();
      setQuestions([]);
    }
    p.done(saved);
  }

  return (
    <CheckedForm
      form={form}
      title={
        p.editing ? t("admin.category.edit", { name: p.editing.name_id }) : t("admin.category.new")
      }
      button={t(p.editing ? "admin.save" : "admin.category.create")}
      fields={fields}
    >
      <QuestionsEditor form={id} questions={questions} onChange={setQuestions} errors={qProblems} />
    </CheckedForm>
  );
}
