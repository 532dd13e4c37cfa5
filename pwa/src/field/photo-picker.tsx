/** Camera / gallery input: photos are shrunk on the phone right away and previewed. */
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { resizePhoto } from "../lib/photo";

export interface PickedPhoto {
  id: number;
  blob: Blob;
  url: string;
}

let seq = 0;

export function PhotoPicker({
  photos,
  onChange,
  required,
}: {
  photos: PickedPhoto[];
  onChange: (photos: PickedPhoto[]) => void;
  required: boolean;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const latest = useRef(photos);
  latest.current = photos;

  useEffect(
    () => () => {
      for (const p of latest.current) URL.revokeObjectURL(p.url);
    },
    [],
  );

  async function picked(files: FileList | null) {
    if (!files?.length) return;
    setBusy(true);
    setError("");
    const added: PickedPhoto[] = [];
    for (const file of Array.from(files)) {
      try {
        const blob = await resizePhoto(file);
        added.push({ id: ++seq, blob, url: URL.createObjectURL(blob) });
      } catch {
        setError(t("photo.failed", { name: file.name }));
      }
    }
    onChange([...latest.current, ...added]);
    if (input.current) input.current.value = "";
    setBusy(false);
  }

  return (
    <div class="photo-picker">
      <label class="btn btn-secondary btn-block btn-file">
        {busy ? t("photo.processing") : t("photo.add")}
        <input
          ref={input}
          type="file"
          accept="image/*"
          capture="environment"
          multiple
          class="visually-hidden"
          data-testid="photo-input"
          onChange={(e) => void picked(e.currentTarget.files)}
        />
      </label>
      {required && <p class="small">{t("resolve.photo_required")}</p>}
      <p class="muted small">{t("photo.hint")}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {photos.length > 0 && (
        <ul class="photos previews" data-testid="photo-previews">
          {photos.map((p, i) => (
            <li key={p.id}>
              <img src={p.url} alt={t("photo.preview", { n: i + 1 })} />
              <button
                type="button"
                class="remove"
                aria-label={t("photo.remove", { n: i + 1 })}
                onClick={() => {
                  URL.revokeObjectURL(p.url);
                  onChange(photos.filter((x) => x.id !== p.id));
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
