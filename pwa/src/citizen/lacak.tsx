/** Lacak: follow a report by its code; status, timeline, photos, push, rating or dispute. */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, NetworkError } from "../lib/api";
import { formatTime, getLanguage, type Key, t } from "../lib/i18n";
import { navigate } from "../lib/router";
import { useStore } from "../lib/store";
import { app } from "../shell/state";
import { PageTitle, useLanguage } from "../shell/ui";
import {
  type Credentials,
  credentialsFor,
  dispute,
  knownReferences,
  normaliseReference,
  rate,
  saveCredentials,
  type Tracked,
  track,
} from "./data";
import { followByPush } from "./push";

const POLL_MS = 4000;

function errorText(err: unknown): string {
  if (err instanceof NetworkError) return t("error.network");
  if (err instanceof ApiError) return err.detail || err.code;
  return t("error.unknown");
}

/** The code form; with phone + PIN when the report was made on another phone. */
function FindForm({ initial, problem }: { initial: string; problem?: string }) {
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
      {(error || problem) && (
        <p class="error" role="alert" data-testid="lacak-error">
          {error || problem}
        </p>
      )}
      <form onSubmit={(e) => void submit(e)}>
        <label class="field" for="lacak-code">
          <span>{t("citizen.code_label")}</span>
          <input
            id="lacak-code"
            type="text"
            required
            autocapitalize="characters"
            autocomplete="off"
            spellcheck={false}
            value={code}
            onInput={(e) => setCode((e.target as HTMLInputElement).value)}
          />
        </label>
        <fieldset class="field">
          <legend>{t("citizen.other_phone")}</legend>
          <p class="small muted">{t("citizen.other_phone_hint")}</p>
          <label class="field" for="lacak-phone">
            <span>{t("citizen.phone")}</span>
            <input
              id="lacak-phone"
              type="tel"
              autocomplete="tel"
              inputMode="tel"
              value={phone}
              onInput={(e) => setPhone((e.target as HTMLInputElement).value)}
            />
          </label>
          <label class="field" for="lacak-pin">
            <span>{t("citizen.pin_label")}</span>
            <input
              id="lacak-pin"
              type="text"
              inputMode="numeric"
              autocomplete="off"
              value={pin}
              onInput={(e) => setPin((e.target as HTMLInputElement).value)}
            />
          </label>
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

function Stars({ value, onChange }: { value: number; onChange: (n: number) => void }) {
  return (
    <fieldset class="field stars">
      <legend>{t("citizen.rate_score")}</legend>
      <div class="star-row">
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} class={`star ${n <= value ? "on" : ""}`}>
            <input
              type="radio"
              name="score"
              value={n}
              checked={n === value}
              onChange={() => onChange(n)}
              class="visually-hidden"
            />
            <span aria-hidden="true">★</span>
            <span class="visually-hidden">{t("citizen.stars", { n })}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function Feedback({
  data,
  creds,
  onChanged,
  onDisputed,
}: {
  data: Tracked;
  creds: Credentials;
  onChanged: () => void;
  /** The reopened case no longer shows this form: the page keeps the confirmation. */
  onDisputed: () => void;
}) {
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState("");
  const [reason, setReason] = useState("");
  const [showDispute, setShowDispute] = useState(false);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState("");
  const [err, setErr] = useState("");

  async function sendRating(e: Event) {
    e.preventDefault();
    if (!score) return setErr(t("citizen.rate_need_score"));
    setBusy(true);
    setErr("");
    try {
      await rate(data.reference, creds, score, comment.trim());
      setMsg(t("citizen.rate_thanks"));
      onChanged();
    } catch (error) {
      setErr(errorText(error));
    } finally {
      setBusy(false);
    }
  }

  async function sendDispute(e: Event) {
    e.preventDefault();
    if (!reason.trim()) return setErr(t("citizen.dispute_need_reason"));
    setBusy(true);
    setErr("");
    try {
      await dispute(data.reference, creds, reason.trim());
      setMsg(t("citizen.dispute_sent"));
      setShowDispute(false);
      onDisputed();
      onChanged();
    } catch (error) {
      setErr(errorText(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card" aria-labelledby="feedback-title" data-testid="lacak-feedback">
      <h2 id="feedback-title">{t("citizen.feedback_title")}</h2>
      <p role="status" data-testid="feedback-status">
        {msg || (data.rated ? t("citizen.rated") : "")}
      </p>
      {err && (
        <p class="error" role="alert">
          {err}
        </p>
      )}
      {data.can_rate && (
        <form onSubmit={(e) => void sendRating(e)} data-testid="rating-form">
          <Stars value={score} onChange={setScore} />
          <label class="field" for="rate-comment">
            <span>{t("citizen.rate_comment")}</span>
            <textarea
              id="rate-comment"
              rows={3}
              value={comment}
              onInput={(e) => setComment((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {t("citizen.rate_submit")}
          </button>
        </form>
      )}
      {data.can_dispute && !showDispute && (
        <button
          type="button"
          class="btn btn-secondary btn-block"
          onClick={() => setShowDispute(true)}
        >
          {t("citizen.dispute_open")}
        </button>
      )}
      {data.can_dispute && showDispute && (
        <form onSubmit={(e) => void sendDispute(e)} data-testid="dispute-form">
          <label class="field" for="dispute-reason">
            <span>{t("citizen.dispute_reason")}</span>
            <textarea
              id="dispute-reason"
              rows={3}
              required
              value={reason}
              onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <button type="submit" class="btn btn-danger btn-block" disabled={busy}>
            {t("citizen.dispute_submit")}
          </button>
        </form>
      )}
    </section>
  );
}

const PUSH_TEXT: Record<string, Key> = {
  enabled: "citizen.push_on",
  unsupported: "citizen.push_unsupported",
  denied: "push.denied",
  timeout: "push.timeout",
  failed: "citizen.push_failed",
};

export function Lacak({ reference }: { reference: string | null }) {
  const lang = useLanguage();
  const s = useStore(app);
  const [creds, setCreds] = useState<Credentials | null | undefined>(undefined);
  const [data, setData] = useState<Tracked | null>(null);
  const [problem, setProblem] = useState("");
  const [stale, setStale] = useState(false);
  const [push, setPush] = useState<string>("");
  const [pushBusy, setPushBusy] = useState(false);
  const [tick, setTick] = useState(0);
  const [disputed, setDisputed] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (!reference) return;
    const read = () => {
      setProblem("");
      void credentialsFor(reference).then((c) => setCreds(c ?? null));
    };
    read();
    window.addEventListener("citizen-credentials", read);
    return () => window.removeEventListener("citizen-credentials", read);
  }, [reference]);

  // Poll while the page is visible: a status change shows within seconds.
  useEffect(() => {
    if (!reference || !creds) return;
    let alive = true;
    const load = async () => {
      if (timer.current) clearTimeout(timer.current);
      if (document.visibilityState === "visible") {
        try {
          const next = await track(reference, creds);
          if (!alive) return;
          setData(next);
          setStale(false);
        } catch (err) {
          if (!alive) return;
          if (err instanceof ApiError && err.status === 404) {
            setProblem(t("citizen.not_found"));
            setCreds(null);
            return;
          }
          setStale(true);
        }
      }
      if (alive) timer.current = setTimeout(() => void load(), POLL_MS);
    };
    void load();
    const onVisible = () => {
      if (document.visibilityState === "visible") void load();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      alive = false;
      if (timer.current) clearTimeout(timer.current);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [reference, creds, lang, tick]);

  if (!reference) return <FindForm initial="" />;
  if (creds === undefined) return <p class="loading">{t("app.loading")}</p>;
  if (creds === null) return <FindForm initial={reference} problem={problem} />;
  if (!data) {
    return (
      <section class="screen citizen">
        <PageTitle>{t("citizen.track_heading", { ref: reference })}</PageTitle>
        <p class="loading">{stale ? t("error.network") : t("app.loading")}</p>
      </section>
    );
  }

  async function askPush() {
    if (!creds?.token) return;
    setPushBusy(true);
    const r = await followByPush(creds.token, s.config?.push.public_key, getLanguage());
    setPush(r.outcome);
    setPushBusy(false);
  }

  return (
    <section class="screen citizen" data-testid="lacak-screen">
      <PageTitle>{t("citizen.track_heading", { ref: data.reference })}</PageTitle>
      <div
        class={`big-status status-${data.status}`}
        data-testid="public-status"
        data-status={data.status}
        role="status"
        aria-live="polite"
      >
        <span class="small">{t("citizen.status_label")}</span>
        <strong>{data.status_text}</strong>
      </div>
      {disputed && (
        <div class="notice" role="status" data-testid="dispute-confirmation">
          <strong>{t("citizen.dispute_sent")}</strong>
          <p>{t("citizen.dispute_sent_detail")}</p>
        </div>
      )}
      {stale && <p class="notice">{t("citizen.stale")}</p>}
      {data.merged_into && <p class="notice">{t("citizen.merged", { ref: data.merged_into })}</p>}
      <dl class="facts">
        <dt>{t("citizen.category")}</dt>
        <dd>{data.category.name}</dd>
        <dt>{t("citizen.agency")}</dt>
        <dd>{data.agency}</dd>
        {(data.address || data.area) && (
          <>
            <dt>{t("citizen.where")}</dt>
            <dd>{[data.address, data.area].filter(Boolean).join(", ")}</dd>
          </>
        )}
        <dt>{t("citizen.expected")}</dt>
        <dd>{formatTime(data.expected_resolution)}</dd>
      </dl>
      {data.description && <p class="description">{data.description}</p>}

      {creds.token && (
        <div class="card">
          <button
            type="button"
            class="btn btn-secondary btn-block"
            onClick={() => void askPush()}
            disabled={pushBusy || push === "enabled"}
            data-testid="push-optin"
          >
            {t("citizen.push_button")}
          </button>
          <p role="status" class="small" data-testid="push-status">
            {push ? t(PUSH_TEXT[push] ?? "citizen.push_failed") : t("citizen.push_hint")}
          </p>
        </div>
      )}

      {(data.can_rate || data.can_dispute || data.rated) && (
        <Feedback
          data={data}
          creds={creds}
          onChanged={() => setTick((n) => n + 1)}
          onDisputed={() => setDisputed(true)}
        />
      )}

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">{t("citizen.timeline")}</h2>
        <ol class="timeline" data-testid="public-timeline">
          {[...data.timeline].reverse().map((e) => (
            <li key={`${e.kind}-${e.at}`}>
              <strong>{e.label}</strong>
              <span class="muted small"> {formatTime(e.at)}</span>
            </li>
          ))}
        </ol>
      </section>

      {data.photos.length > 0 && (
        <section aria-labelledby="photos-title">
          <h2 id="photos-title">{t("citizen.photos")}</h2>
          <ul class="photos" data-testid="public-photos">
            {data.photos.map((p, i) => (
              <li key={p.id}>
                <a href={p.display_url} target="_blank" rel="noopener">
                  <img
                    src={p.thumb_url}
                    alt={t(p.source === "field" ? "citizen.photo_team" : "citizen.photo_n", {
                      n: i + 1,
                    })}
                    loading="lazy"
                  />
                </a>
              </li>
            ))}
          </ul>
        </section>
      )}
      <a class="btn btn-text" href="/lacak">
        {t("citizen.track_other")}
      </a>
    </section>
  );
}
