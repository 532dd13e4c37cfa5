/**
 * The warning forms' fields: a labelled input or text area, and a CAP value list as a select of
 * words, each with the API's word about it right under it (tied by `aria-describedby`).
 */
import { t } from "../lib/i18n";
import { capWord } from "./data";
import type { Values } from "./form-values";

/** A labelled input (or text area) with the API's word about it right under it. */
export function Text(p: {
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  error?: string;
  hint?: string;
  lang?: string;
  long?: boolean;
  type?: "text" | "datetime-local";
}) {
  const described = [p.hint && `${p.id}-hint`, p.error && `${p.id}-error`]
    .filter(Boolean)
    .join(" ");
  const attrs = {
    id: p.id,
    lang: p.lang,
    value: p.value,
    "aria-invalid": p.error ? true : undefined,
    "aria-describedby": described || undefined,
    onInput: (e: Event) => p.onValue((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      {p.long ? (
        <textarea rows={3} {...attrs} />
      ) : p.type === "datetime-local" ? (
        <input type="datetime-local" {...attrs} />
      ) : (
        <input type="text" {...attrs} />
      )}
      {p.hint && (
        <small id={`${p.id}-hint`} class="muted">
          {p.hint}
        </small>
      )}
      {p.error && (
        <p class="error" role="alert" id={`${p.id}-error`} data-testid={`error-${p.id}`}>
          {p.error}
        </p>
      )}
    </div>
  );
}

/** A CAP value list as a select of words (the code is only the option's value). */
export function Choice(p: {
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  codes: readonly string[];
  words: "cat" | "sev" | "urg" | "cer";
  error?: string;
}) {
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      <select
        id={p.id}
        value={p.value}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={p.error ? `${p.id}-error` : undefined}
        onChange={(e) => p.onValue(e.currentTarget.value)}
      >
        {!p.value && <option value="">{t("warn.pick_one")}</option>}
        {p.codes.map((c) => (
          <option key={c} value={c}>
            {capWord(p.words, c)}
          </option>
        ))}
      </select>
      {p.error && (
        <p class="error" role="alert" id={`${p.id}-error`} data-testid={`error-${p.id}`}>
          {p.error}
        </p>
      )}
    </div>
  );
}

type Words = "event" | "headline" | "instruction";

/** One of the words people read, in Indonesian and English side by side. */
export function Pair(p: {
  name: Words;
  v: Values;
  set: (k: keyof Values) => (value: string) => void;
  err: (k: string) => string | undefined;
  long?: boolean;
}) {
  return (
    <div class="warn-pair">
      {(["id", "en"] as const).map((lang) => (
        <Text
          key={lang}
          id={`w-${p.name}-${lang}`}
          label={t(`warn.${p.name}_${lang}`)}
          value={p.v[`${p.name}_${lang}`]}
          onValue={p.set(`${p.name}_${lang}`)}
          error={p.err(`${p.name}.${lang}`)}
          lang={lang}
          long={p.long}
        />
      ))}
    </div>
  );
}
