/** Sign-in: username and password; the session then lives in IndexedDB and refreshes itself. */
import { useState } from "preact/hooks";
import { ApiError, NetworkError } from "../lib/api";
import { t } from "../lib/i18n";
import { useStore } from "../lib/store";
import { app, signIn } from "./state";
import { AsideLink, PageTitle } from "./ui";

export function Login() {
  const s = useStore(app);
  const [username, setUsername] = useState(s.user?.username ?? "");
  const [password, setPassword] = useState("");
  const [show, setShow] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");

  async function submit(e: Event) {
    e.preventDefault();
    if (busy) return;
    setError("");
    setBusy(true);
    try {
      // The shell then opens the role's own screen (or the staff link that led here).
      await signIn(username.trim(), password);
    } catch (err) {
      if (err instanceof NetworkError) setError(t("login.offline"));
      else if (err instanceof ApiError) setError(err.detail || t("login.failed"));
      else setError(t("error.unknown"));
    } finally {
      setBusy(false);
    }
  }

  // One password field, shown as text or hidden (the typings want a literal `type` each).
  const passwordField = {
    id: "login-password",
    name: "password",
    autocomplete: "current-password",
    required: true,
    value: password,
    onInput: (e: { currentTarget: HTMLInputElement }) => setPassword(e.currentTarget.value),
  };
  return (
    <section class="screen narrow" aria-labelledby="login-title">
      <div id="login-title">
        <PageTitle>{t("login.title")}</PageTitle>
      </div>
      <p class="muted">{t("login.intro")}</p>
      <form onSubmit={submit} class="stack" noValidate>
        <label class="field">
          <span>{t("login.username")}</span>
          <input
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label class="field" htmlFor="login-password">
          <span>{t("login.password")}</span>
          {show ? (
            <input type="text" {...passwordField} />
          ) : (
            <input type="password" {...passwordField} />
          )}
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={show}
            onChange={(e) => setShow(e.currentTarget.checked)}
          />
          <span>{t("login.show_password")}</span>
        </label>
        {error && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
          {busy ? t("login.submitting") : t("login.submit")}
        </button>
      </form>
      <AsideLink href="/" testid="login-citizen">
        {t("login.citizen")}
      </AsideLink>
    </section>
  );
}
