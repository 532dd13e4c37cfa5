/**
 * A form's failure, split by field: the API answers problem details (`api/errors.py`) whose
 * `detail` is already in the user's language. A validation failure names its fields in
 * `errors[].key`; a rule's failure names none, so each form maps the codes it knows to the input
 * they concern (`already_exists` → the code). Whatever no input claims is said once, generally.
 */
import { useState } from "preact/hooks";
import { ApiError, NetworkError } from "../lib/api";
import { t } from "../lib/i18n";

export interface FormProblem {
  /** Field name → what is wrong with it. */
  fields: Record<string, string>;
  /** What is wrong with the whole form (nothing when a field says it all). */
  general: string;
}

export const NO_PROBLEM: FormProblem = { fields: {}, general: "" };

/** The API's field keys of a failure (`errors[].key`), when it names any. */
function keysOf(err: ApiError): string[] {
  const errors = err.body.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .map((e) => (e && typeof e === "object" ? (e as { key?: unknown }).key : undefined))
    .filter((k): k is string => typeof k === "string");
}

export function formProblem(
  err: unknown,
  known: readonly string[],
  codeFields: Record<string, string> = {},
): FormProblem {
  if (err instanceof NetworkError) return { fields: {}, general: t("error.network") };
  if (!(err instanceof ApiError)) return { fields: {}, general: t("error.unknown") };
  const message = err.detail || t("error.unknown");
  const names = [...keysOf(err), codeFields[err.code]].filter((k) => k && known.includes(k));
  if (names.length === 0) return { fields: {}, general: message };
  return { fields: Object.fromEntries(names.map((k) => [k, message])), general: "" };
}

/**
 * One submission at a time: `run` marks the form busy, clears the last problem, and on failure
 * places it beside the fields it concerns. `known` are the form's field names.
 */
export function useFormProblem(known: readonly string[], codeFields: Record<string, string> = {}) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FormProblem>(NO_PROBLEM);

  async function run(work: () => Promise<void>): Promise<boolean> {
    if (busy) return false;
    setBusy(true);
    setProblem(NO_PROBLEM);
    try {
      await work();
      return true;
    } catch (err) {
      setProblem(formProblem(err, known, codeFields));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return { busy, problem, run, setProblem };
}
