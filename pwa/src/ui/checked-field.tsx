/**
 * Form fields that say beside themselves what is wrong (the admin console's forms): a text
 * input, a select (one choice or several) and a checkbox, each tied to its error line by
 * `aria-describedby` and marked `aria-invalid` while the error stands. A form lists its fields as
 * data (`FieldSpec`) bound to one values object (`useCheckedForm`); the text input is the shared
 * `TextField`.
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Choices, type FilterOption } from "./filter-select";
import { TextField } from "./form-field";
import { type FormProblem, useFormProblem } from "./form-problem";

/** A form's values by field name: a text (a file's too), a checkbox, or a multiple select's choices. */
export type FormValues = Record<string, string | boolean | string[]>;

/** One field of a form: its name as the API spells it (`full_name`), its label and its kind. */
export interface FieldSpec {
  name: string;
  label: string;
  kind?: "text" | "tel" | "number" | "select" | "multiple" | "checkbox" | "file";
  options?: readonly FilterOption[];
  /** A file field's types; its value is the chosen file's text. */
  accept?: string;
  /** A select's words for the empty value, when it may be left empty. */
  none?: string;
}

const ids = (form: string, name: string) => ({
  id: `${form}-${name}`,
  err: `${form}-${name}-error`,
});

const invalid = (err: string, error?: string) =>
  error ? { "aria-invalid": true, "aria-describedby": err } : {};

/** The error line under a field; nothing when the field is fine. */
export function FieldError({ id, text }: { id: string; text?: string }) {
  if (!text) return null;
  return (
    <p class="error field-error" id={id} role="alert" data-testid={id}>
      {text}
    </p>
  );
}

/** One field and its error line; `form` prefixes its id (`${form}-${name}`). */
export function CheckedField(p: {
  form: string;
  spec: FieldSpec;
  value: FormValues[string];
  onValue: (v: FormValues[string]) => void;
  error?: string;
}) {
  const { name, label, kind = "text", options = [] } = p.spec;
  const { id, err } = ids(p.form, name);
  const attrs = { id, name, ...invalid(err, p.error) };
  let input: ComponentChildren;
  if (kind === "checkbox") {
    input = (
      <label class="check" for={id}>
        <input
          {...attrs}
          type="checkbox"
          checked={p.value === true}
          onChange={(e) => p.onValue(e.currentTarget.checked)}
        />
        <span>{label}</span>
      </label>
    );
  } else if (kind === "select" || kind === "multiple") {
    const chosen = Array.isArray(p.value) ? p.value : [];
    input = (
      <label class="field" for={id}>
        <span>{label}</span>
        {kind === "select" ? (
          <select
            {...attrs}
            value={String(p.value)}
            onChange={(e) => p.onValue(e.currentTarget.value)}
          >
            <Choices options={options} none={p.spec.none} />
          </select>
        ) : (
          <select
            {...attrs}
            multiple
            size={4}
            onChange={(e) => p.onValue(Array.from(e.currentTarget.selectedOptions, (o) => o.value))}
          >
            {options.map((o) => (
              <option key={o.value} value={o.value} selected={chosen.includes(String(o.value))}>
                {o.label}
              </option>
            ))}
          </select>
        )}
      </label>
    );
  } else if (kind === "file") {
    input = (
      <label class="field" for={id}>
        <span>{label}</span>
        <input
          {...attrs}
          type="file"
          accept={p.spec.accept}
          onChange={async (e) => p.onValue((await e.currentTarget.files?.[0]?.text()) ?? "")}
        />
      </label>
    );
  } else {
    input = (
      <TextField
        id={id}
        label={label}
        value={String(p.value)}
        onValue={p.onValue}
        attrs={{ name, type: kind, autocomplete: "off", ...invalid(err, p.error) }}
      />
    );
  }
  return (
    <div class="checked-field">
      {input}
      <FieldError id={err} text={p.error} />
    </div>
  );
}

/** A select field: one of `options`, or the empty value (in `none`'s words) when it may be empty. */
export const choice = (
  name: string,
  label: string,
  options: readonly FilterOption[],
  none?: string,
): FieldSpec => ({ name, label, kind: "select", options, none });

/**
 * A form (`id`) and its values, one submission at a time (`useFormProblem`): the fields it knows
 * are the names in `blank`, `reset` starts again from `blank`, `changed` hears every
 * change, and `submit` runs `save` with the values, its failure placed beside the fields.
 */
export function useCheckedForm<V extends FormValues>(
  id: string,
  blank: V,
  opts: {
    codes?: Record<string, string>;
    initial?: V;
    changed?: (name: string, value: FormValues[string]) => void;
    save?: (values: V) => Promise<void>;
  } = {},
) {
  const [values, setValues] = useState<V>(opts.initial ?? blank);
  const state = useFormProblem(Object.keys(blank), opts.codes);
  const set = (name: string, value: FormValues[string]) => {
    setValues({ ...values, [name]: value });
    opts.changed?.(name, value);
  };
  const submit = () => void state.run(async () => opts.save?.(values));
  return { ...state, id, values, set, setValues, submit, reset: () => setValues(blank) };
}

/** A form's frame: its fields in a grid, the general problem, and the submit button. */
export function CheckedForm(p: {
  form: {
    id: string;
    busy: boolean;
    problem: FormProblem;
    values: FormValues;
    set: (name: string, value: FormValues[string]) => void;
    submit: () => void;
  };
  title: string;
  /** The submit button's words. */
  button: string;
  fields: FieldSpec[];
  /** What submitting does, when it is more than sending the values (`form.submit`). */
  onSubmit?: () => void;
  /** More of the form below its fields (a list of questions, say). */
  children?: ComponentChildren;
}) {
  const { id, busy, problem, values, set } = p.form;
  return (
    <form
      class="checked-form"
      id={id}
      data-testid={id}
      aria-labelledby={`${id}-h`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        (p.onSubmit ?? p.form.submit)();
      }}
    >
      <h3 id={`${id}-h`}>{p.title}</h3>
      <div class="checked-grid">
        {p.fields.map((spec) => (
          <CheckedField
            key={spec.name}
            form={id}
            spec={spec}
            value={values[spec.name]}
            onValue={(v) => set(spec.name, v)}
            error={problem.fields[spec.name]}
          />
        ))}
      </div>
      {p.children}
      {problem.general && (
        <p class="error" role="alert" data-testid={`${id}-error`}>
          {problem.general}
        </p>
      )}
      <button type="submit" class="btn btn-primary" disabled={busy}>
        {p.button}
      </button>
    </form>
  );
}
