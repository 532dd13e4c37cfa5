/**
 * A category's extra questions (Open311 attributes), edited inside the category form: add,
 * remove and reorder questions; each has a code, an answer type (Open311's datatypes), whether it
 * must be answered, its words in both languages and, for a choice, the answers to choose (a code
 * and a name in both languages). The API checks them and names each fault by its place
 * (`attributes[2].values[0].key`); the fault stands beside that input.
 */
import { ApiError } from "../lib/api";
import { type Key, t } from "../lib/i18n";
import {
  CheckedField,
  choice,
  FieldError,
  type FieldSpec,
  type FormValues,
} from "../ui/checked-field";
import { RowButton } from "./table";

export interface Answer {
  key: string;
  name_id: string;
  name_en: string;
}

export interface Question {
  code: string;
  datatype: string;
  required: boolean;
  description_id: string;
  description_en: string;
  values: Answer[];
}

const DATATYPES = [
  "string",
  "text",
  "number",
  "datetime",
  "singlevaluelist",
  "multivaluelist",
] as const;
const isList = (q: Question) => q.datatype === "singlevaluelist" || q.datatype === "multivaluelist";

const text = (x: Record<string, unknown>, name: string, fallback: string) =>
  String(x[name] ?? x[fallback] ?? "");

/** The questions as the API answers them (an Open311-style one with one `description` and one
 * `name` per answer has the same words in both languages). */
export function questionsOf(raw: readonly Record<string, unknown>[]): Question[] {
  return raw.map((q) => ({
    code: String(q.code ?? ""),
    datatype: String(q.datatype ?? "string"),
    required: q.required === true,
    description_id: text(q, "description_id", "description"),
    description_en: text(q, "description_en", "description"),
    values: ((q.values ?? []) as Record<string, unknown>[]).map((v) => ({
      key: String(v.key ?? ""),
      name_id: text(v, "name_id", "name"),
      name_en: text(v, "name_en", "name"),
    })),
  }));
}

/** The questions to send: answers only for a choice. */
export const questionsBody = (qs: Question[]) =>
  qs.map((q) => ({ ...q, values: isList(q) ? q.values : [] }));

/** An API field pointer as an input's name: `attributes[2].code` → `attributes-2-code`. */
const local = (pointer: string) => pointer.replace(/\[(\d+)\]/g, "-$1").replace(/\./g, "-");

/** The faults the API names in the questions, by input name; none when it names none there. */
export function questionProblems(err: unknown): Record<string, string> {
  if (!(err instanceof ApiError) || !Array.isArray(err.body.errors)) return {};
  const out: Record<string, string> = {};
  for (const e of err.body.errors as { key?: unknown; message?: unknown }[]) {
    if (typeof e?.key === "string" && e.key.startsWith("attributes")) {
      out[local(e.key)] = typeof e.message === "string" ? e.message : err.detail;
    }
  }
  return out;
}

const BLANK_QUESTION: Question = {
  code: "",
  datatype: "string",
  required: false,
  description_id: "",
  description_en: "",
  values: [],
};
const BLANK_ANSWER: Answer = { key: "", name_id: "", name_en: "" };

/** Fields of one question or answer (`at` names it: `attributes-2`), bound to `row`. */
function Fields(p: {
  form: string;
  at: string;
  specs: FieldSpec[];
  row: FormValues;
  set: (name: string, value: FormValues[string]) => void;
  errors: Record<string, string>;
}) {
  return (
    <div class="checked-grid">
      {p.specs.map((spec) => (
        <CheckedField
          key={spec.name}
          form={p.form}
          spec={{ ...spec, name: `${p.at}-${spec.name}` }}
          value={p.row[spec.name]}
          onValue={(v) => p.set(spec.name, v)}
          error={p.errors[`${p.at}-${spec.name}`]}
        />
      ))}
    </div>
  );
}

const label = (name: string) => t(`admin.q.${name}` as Key);
const specs = (names: string[]): FieldSpec[] => names.map((name) => ({ name, label: label(name) }));

function questionSpecs(): FieldSpec[] {
  const types = DATATYPES.map((d) => ({ value: d, label: label(`type.${d}`) }));
  return [
    { name: "code", label: label("code") },
    choice("datatype", label("datatype"), types),
    ...specs(["description_id", "description_en"]),
    { name: "required", label: label("required"), kind: "checkbox" },
  ];
}

export function QuestionsEditor(p: {
  form: string;
  questions: Question[];
  onChange: (questions: Question[]) => void;
  errors: Record<string, string>;
}) {
  const qs = p.questions;
  const put = (i: number, q: Question) => p.onChange(qs.map((x, j) => (j === i ? q : x)));
  const move = (i: number, by: number) => {
    const out = [...qs];
    [out[i], out[i + by]] = [out[i + by], out[i]];
    p.onChange(out);
  };
  return (
    <fieldset class="admin-questions" data-testid={`${p.form}-questions`}>
      <legend>{t("admin.q.title")}</legend>
      <p class="muted">{t("admin.q.intro")}</p>
      <FieldError id={`${p.form}-attributes-error`} text={p.errors.attributes} />
      {qs.length === 0 && <p class="muted">{t("admin.q.none")}</p>}
      {qs.map((q, i) => {
        const at = `attributes-${i}`;
        const n = i + 1;
        const setAnswer = (j: number, a: Answer) =>
          put(i, { ...q, values: q.values.map((x, k) => (k === j ? a : x)) });
        return (
          <fieldset key={i} class="admin-question" data-testid={`${p.form}-question-${i}`}>
            <legend>{t("admin.q.item", { n })}</legend>
            <Fields
              form={p.form}
              at={at}
              specs={questionSpecs()}
              row={q as unknown as FormValues}
              set={(name, v) => put(i, { ...q, [name]: v })}
              errors={p.errors}
            />
            {isList(q) && (
              <fieldset class="admin-answers">
                <legend>{t("admin.q.values")}</legend>
                <FieldError id={`${p.form}-${at}-values-error`} text={p.errors[`${at}-values`]} />
                {q.values.map((a, j) => (
                  <div key={j} class="admin-answer">
                    <Fields
                      form={p.form}
                      at={`${at}-values-${j}`}
                      specs={specs(["key", "name_id", "name_en"])}
                      row={a as unknown as FormValues}
                      set={(name, v) => setAnswer(j, { ...a, [name]: String(v) })}
                      errors={p.errors}
                    />
                    <RowButton
                      onClick={() => put(i, { ...q, values: q.values.filter((_, k) => k !== j) })}
                    >
                      {t("admin.q.remove_value", { v: j + 1, n })}
                    </RowButton>
                  </div>
                ))}
                <RowButton onClick={() => put(i, { ...q, values: [...q.values, BLANK_ANSWER] })}>
                  {t("admin.q.add_value", { n })}
                </RowButton>
              </fieldset>
            )}
            <div class="admin-actions">
              {i > 0 && <RowButton onClick={() => move(i, -1)}>{t("admin.q.up", { n })}</RowButton>}
              {i < qs.length - 1 && (
                <RowButton onClick={() => move(i, 1)}>{t("admin.q.down", { n })}</RowButton>
              )}
              <RowButton danger onClick={() => p.onChange(qs.filter((_, k) => k !== i))}>
                {t("admin.q.remove", { n })}
              </RowButton>
            </div>
          </fieldset>
        );
      })}
      <RowButton
        testid={`${p.form}-question-add`}
        onClick={() => p.onChange([...qs, BLANK_QUESTION])}
      >
        {t("admin.q.add")}
      </RowButton>
    </fieldset>
  );
}
