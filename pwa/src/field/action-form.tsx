/**
 * The field officer's next moves: one big button per action the case allows, and the short
 * form a resolve (note, photos) or a return (reason) needs before it goes to the outbox.
 */
import { useState } from "preact/hooks";
import { type Key, t } from "../lib/i18n";
import type { FieldAction } from "../lib/types";
import { FormError } from "../ui/form-field";
import { PhotoPicker, type PickedPhoto } from "./photo-picker";

const ACTION_ICON: Record<FieldAction, string> = {
  accept: "✓",
  en_route: "➜",
  on_scene: "⚑",
  resolve: "✔",
  return: "↩",
};

export type FormAction = "resolve" | "return";

export function ActionForm({
  action,
  needsPhoto,
  onCancel,
  onSubmit,
}: {
  action: FormAction;
  needsPhoto: boolean;
  onCancel: () => void;
  onSubmit: (note: string, photos: PickedPhoto[]) => Promise<void>;
}) {
  const [note, setNote] = useState("");
  const [photos, setPhotos] = useState<PickedPhoto[]>([]);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const resolve = action === "resolve";

  async function submit(e: Event) {
    e.preventDefault();
    if (!note.trim()) {
      setError(t("form.required"));
      return;
    }
    if (resolve && needsPhoto && photos.length === 0) {
      setError(t("resolve.photo_required"));
      return;
    }
    setBusy(true);
    try {
      await onSubmit(note, photos);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      class="card stack action-form"
      onSubmit={submit}
      data-testid={`${action}-form`}
      noValidate
    >
      <h2>{resolve ? t("resolve.title") : t("return.title")}</h2>
      <label class="field">
        <span>{resolve ? t("resolve.note") : t("return.reason")}</span>
        <textarea
          name="note"
          rows={4}
          required
          placeholder={resolve ? t("resolve.note_hint") : t("return.reason_hint")}
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
          aria-invalid={error === t("form.required")}
        />
      </label>
      {resolve && <PhotoPicker photos={photos} onChange={setPhotos} required={needsPhoto} />}
      <FormError text={error} />
      <button
        type="submit"
        class={`btn btn-block btn-xl ${resolve ? "btn-primary" : "btn-danger"}`}
        disabled={busy}
      >
        {resolve ? t("resolve.submit") : t("return.submit")}
      </button>
      <button type="button" class="btn btn-secondary btn-block" onClick={onCancel}>
        {t("app.cancel")}
      </button>
    </form>
  );
}

/** One button per action, the first one primary and "return" always marked as a step back. */
export function ActionButtons({
  actions,
  busy,
  onPick,
}: {
  actions: FieldAction[];
  busy: boolean;
  onPick: (action: FieldAction) => void;
}) {
  return (
    <>
      {actions.map((a, i) => (
        <button
          key={a}
          type="button"
          class={`btn btn-block btn-xl ${a === "return" ? "btn-outline-danger" : i === 0 ? "btn-primary" : "btn-secondary"}`}
          data-action={a}
          disabled={busy}
          onClick={() => onPick(a)}
        >
          <span class="btn-icon" aria-hidden="true">
            {ACTION_ICON[a]}
          </span>
          <span class="btn-text">
            <span>{t(`action.${a}` as Key)}</span>
            <span class="btn-hint">{t(`action.${a}_hint` as Key)}</span>
          </span>
        </button>
      ))}
    </>
  );
}
