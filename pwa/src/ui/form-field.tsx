/**
 * Form pieces the citizen, field and operator screens share: a labelled text input, a labelled
 * text area, and the alert line that says what is wrong. Each keeps the plain markup the styles
 * and the tests know (`label.field > span + input`, `p.error[role=alert]`).
 */
import type { InputHTMLAttributes, LooseInputHTMLAttributes, TextareaHTMLAttributes } from "preact";
import { t } from "../lib/i18n";
import { PageTitle } from "../shell/ui";

interface Labelled<T> {
  label: string;
  value: string;
  onValue: (value: string) => void;
  /** Extra attributes for the input itself (type, autocomplete, data-testid, ...). */
  attrs?: T;
}

// The loose form: preact's strict input type is a union over `type` that a spread cannot meet.
type InputAttrs = Omit<LooseInputHTMLAttributes<HTMLInputElement>, "value" | "onInput"> & {
  "data-testid"?: string;
};
type AreaAttrs = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "value" | "onInput">;

/** `id`, when given, ties the label to the input; otherwise the label wraps it. */
export function TextField({
  id,
  label,
  value,
  onValue,
  class: cls = "field",
  attrs,
}: Labelled<InputAttrs> & { id?: string; class?: string }) {
  return (
    <label class={cls} for={id}>
      <span>{label}</span>
      <input
        id={id}
        type="text"
        {...(attrs as InputHTMLAttributes<HTMLInputElement>)}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </label>
  );
}

export function TextArea({
  id,
  label,
  value,
  onValue,
  rows = 3,
  attrs,
}: Labelled<AreaAttrs> & { id?: string; rows?: number }) {
  return (
    <label class="field" for={id}>
      <span>{label}</span>
      <textarea
        id={id}
        rows={rows}
        {...attrs}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </label>
  );
}

/** What went wrong, announced at once; nothing when there is nothing to say. */
export function FormError({ text, testid }: { text: string | null | undefined; testid?: string }) {
  if (!text) return null;
  return (
    <p class="error" role="alert" data-testid={testid}>
      {text}
    </p>
  );
}

/** A phone number field: the phone keyboard and the browser's own autofill. */
export function PhoneField(props: { id: string; value: string; onValue: (value: string) => void }) {
  return (
    <TextField
      {...props}
      label={t("citizen.phone")}
      attrs={{ type: "tel", autocomplete: "tel", inputMode: "tel" }}
    />
  );
}

/** A screen this user's role may not use: its title and a plain sentence. */
export function NotAllowed({ title }: { title: string }) {
  return (
    <section class="screen">
      <PageTitle>{title}</PageTitle>
      <p>{t("console.not_allowed")}</p>
    </section>
  );
}
