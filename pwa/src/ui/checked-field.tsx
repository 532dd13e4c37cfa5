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

/** A form's values by field name: a text, a checkbox, or the choices of a multiple select. */
export type FormValues = Record<string, string | boolean | string[]>;

/** One field of a form: its name as the API spells it (`full_name`), its label and its kind. */
export interface FieldSpec {
  name: string;
  label: string;
  kind?: "text" | "tel" | "number" | "select" | "multiple" | "checkbox";
  options?: readonly FilterOption[];
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
function CheckedField(p: {
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

/**
 * A form's values, one submission at a time (`useFormProblem`): the fields it knows are the
 * names in `blank` (and `more`), `reset` starts again from `blank`, `changed` hears every change.
 */
export function useCheckedForm<V extends FormValues>(
  blank: V,
  opts: {
    codes?: Record<string, string>;
    initial?: V;
    more?: readonly string[];
    changed?: (name: string, value: FormValues[string]) => void;
  } = {},
) {
  const [values, setValues] = useState<V>(opts.initial ?? blank);
  const state = useFormProblem([...Object.keys(blank), ...(opts.more ?? [])], opts.codes);
  const set = (name: string, value: FormValues[string]) => {
    setValues({ ...values, [name]: value });
    opts.changed?.(name, value);
  };
  return { ...state, values, set, setValues, reset: () => setValues(blank) };
}

/** A form's frame: its fields in a grid, the general problem, and the submit button. */
export function CheckedForm(p: {
  id: string;
  title: string;
  submit: string;
  state: {
    busy: boolean;
    problem: FormProblem;
    values: FormValues;
    set: (name: string, value: FormValues[string]) => void;
  };
  onSubmit: () => void;
  fields: FieldSpec[];
  /** Fields that are not values (a file), after the listed ones. */
  children?: ComponentChildren;
}) {
  const { busy, problem, values, set } = p.state;
  return (
    <form
      class="checked-form"
      id={p.id}
      data-testid={p.id}
      aria-labelledby={`${p.id}-h`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        p.onSubmit();
      }}
    >
      <h3 id={`${p.id}-h`}>{p.title}</h3>
      <div class="checked-grid">
        {p.fields.map((spec) => (
          <CheckedField
            key={spec.name}
            form={p.id}
            spec={spec}
            value={values[spec.name]}
            onValue={(v) => set(spec.name, v)}
            error={problem.fields[spec.name]}
          />
        ))}
        {p.children}
      </div>
      {problem.general && (
        <p class="error" role="alert" data-testid={`${p.id}-error`}>
          {problem.general}
        </p>
      )}
      <button type="submit" class="btn btn-primary" disabled={busy}>
        {p.submit}
      </button>
    </form>
  );
}
