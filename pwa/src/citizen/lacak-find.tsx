/** Lacak's first page: the code form (with phone + PIN for a report made on another phone). */
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import { t } from "../lib/i18n";
import { navigate } from "../lib/router";
import { PageTitle } from "../shell/ui";
import { FormError, PhoneField, TextField } from "../ui/form-field";
import { knownReferences, normaliseReference, saveCredentials, track } from "./data";
import { errorText } from "./lapor-send";

/** The code form; with phone + PIN when the report was made on another phone. */
export function FindForm({ initial, problem }: { initial: string; problem?: string }) {
  const [code, setCode] = useState(initial);
  const [phone, setPhone] = useState("");
  const [pin, setPin] = useState("");
  const [error, setError] = useState("");
  const [known, setKnown] = useState<string[]>([]);
  useEffect(() => {
    void knownReferences().then(setKnown);
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    const ref = normaliseReference(code);
    if (!ref) return;
    if (phone.trim() && pin.trim()) {
      const typed = { phone: phone.trim(), pin: pin.trim() };
      setError("");
      try {
        await track(ref, typed);
      } catch (err) {
        // Only a PIN the server accepted is remembered: a wrong one never overwrites a good one.
        setError(
          err instanceof ApiError && err.status === 404 ? t("citizen.pin_wrong") : errorText(err),
        );
        return;
      }
      await saveCredentials(ref, typed);
    }
    navigate(`/lacak/${encodeURIComponent(ref)}`);
    // Same path (after a refusal): the screen re-reads the credentials.
    window.dispatchEvent(new Event("citizen-credentials"));
  }

  return (
    <section class="screen citizen" data-testid="lacak-find">
      <PageTitle>{t("citizen.lacak_title")}</PageTitle>
      <p class="muted">{t("citizen.lacak_intro")}</p>
      <FormError text={error || problem} testid="lacak-error" />
      <form onSubmit={(e) => void submit(e)}>
        <TextField
          id="lacak-code"
          label={t("citizen.code_label")}
          value={code}
          onValue={setCode}
          attrs={{
            required: true,
            autocapitalize: "characters",
            autocomplete: "off",
            spellcheck: false,
          }}
        />
        <fieldset class="field">
          <legend>{t("citizen.other_phone")}</legend>
          <p class="small muted">{t("citizen.other_phone_hint")}</p>
          <PhoneField id="lacak-phone" value={phone} onValue={setPhone} />
          <TextField
            id="lacak-pin"
            label={t("citizen.pin_label")}
            value={pin}
            onValue={setPin}
            attrs={{ inputMode: "numeric", autocomplete: "off" }}
          />
        </fieldset>
        <button type="submit" class="btn btn-primary btn-xl btn-block">
          {t("citizen.lacak_submit")}
        </button>
      </form>
      {known.length > 0 && (
        <section aria-labelledby="known-title">
          <h2 id="known-title">{t("citizen.known_title")}</h2>
          <ul class="link-list">
            {known.map((r) => (
              <li key={r}>
                <a class="link-card" href={`/lacak/${encodeURIComponent(r)}`}>
                  <strong>{r}</strong>
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
