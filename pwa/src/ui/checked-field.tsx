/**
 * Form fields that say beside themselves what is wrong (the admin console's forms): a text
 * input, a select and a checkbox, each tied to its error line by `aria-describedby` and marked
 * `aria-invalid` while the error stands. The text input is the shared `TextField`.
 */
import type { ComponentChildren } from "preact";
import type { FilterOption } from "./filter-select";
import { TextField } from "./form-field";

interface Checked {
  /** The form's id prefix; the input is `${form}-${name}`, its error `${form}-${name}-error`. */
  form: string;
  /** The field's name, as the API spells it (`full_name`, `sla_accept_min`). */
  name: string;
  label: string;
  error?: string;
}

const ids = (p: Checked) => ({ id: `${p.form}-${p.name}`, err: `${p.form}-${p.name}-error` });

const invalid = (p: Checked) =>
  p.error ? { "aria-invalid": true, "aria-describedby": ids(p).err } : {};

/** The error line under a field; nothing when the field is fine. */
export function FieldError({ id, text }: { id: string; text?: string }) {
  if (!text) return null;
  return (
    <p class="error field-error" id={id} role="alert" data-testid={id}>
      {text}
    </p>
  );
}

export function CheckedText(
  p: Checked & {
    value: string;
    onValue: (v: string) => void;
    type?: "text" | "tel" | "number" | "search";
    required?: boolean;
    autocomplete?: string;
  },
) {
  const { id, err } = ids(p);
  return (
    <div class="checked-field">
      <TextField
        id={id}
        label={p.label}
        value={p.value}
        onValue={p.onValue}
        attrs={{
          name: p.name,
          type: p.type ?? "text",
          required: p.required,
          autocomplete: p.autocomplete ?? "off",
          ...invalid(p),
        }}
      />
      <FieldError id={err} text={p.error} />
    </div>
  );
}

export function CheckedSelect(
  p: Checked & {
    value: string;
    onValue: (v: string) => void;
    options: readonly FilterOption[];
    /** The words for the empty value, when it may be left empty. */
    none?: string;
  },
) {
  const { id, err } = ids(p);
  return (
    <div class="checked-field">
      <label class="field" for={id}>
        <span>{p.label}</span>
        <select
          id={id}
          name={p.name}
          value={p.value}
          onChange={(e) => p.onValue(e.currentTarget.value)}
          {...invalid(p)}
        >
          {p.none !== undefined && <option value="">{p.none}</option>}
          {p.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
      <FieldError id={err} text={p.error} />
    </div>
  );
}

export function CheckedBox(p: Checked & { checked: boolean; onValue: (v: boolean) => void }) {
  const { id, err } = ids(p);
  return (
    <div class="checked-field">
      <label class="check" for={id}>
        <input
          id={id}
          name={p.name}
          type="checkbox"
          checked={p.checked}
          onChange={(e) => p.onValue(e.currentTarget.checked)}
          {...invalid(p)}
        />
        <span>{p.label}</span>
      </label>
      <FieldError id={err} text={p.error} />
    </div>
  );
}

/** A form's frame: its fields in a grid, the general problem, and the submit button. */
export function CheckedForm(p: {
  id: string;
  title: string;
  submit: string;
  busy: boolean;
  general: string;
  onSubmit: () => void;
  children: ComponentChildren;
}) {
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
      <div class="checked-grid">{p.children}</div>
      {p.general && (
        <p class="error" role="alert" data-testid={`${p.id}-error`}>
          {p.general}
        </p>
      )}
      <button type="submit" class="btn btn-primary" disabled={p.busy}>
        {p.submit}
      </button>
    </form>
  );
}
