/** After the work: the citizen rates it (stars and a comment) or disputes it (a reason). */
import { useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { useAction } from "../ui/form-action";
import { FormError, TextArea } from "../ui/form-field";
import { type Credentials, dispute, rate, type Tracked } from "./data";
import { errorText } from "./lapor-send";

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

export function Feedback({
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
  const [msg, setMsg] = useState("");
  const { busy, error: err, setError: setErr, run } = useAction(errorText);

  /** Check, then send: the one error line shows what is missing or what the server said. */
  function send(e: Event, missing: string, work: () => Promise<void>) {
    e.preventDefault();
    if (missing) return setErr(missing);
    void run(work);
  }

  const sendRating = (e: Event) =>
    send(e, score ? "" : t("citizen.rate_need_score"), async () => {
      await rate(data.reference, creds, score, comment.trim());
      setMsg(t("citizen.rate_thanks"));
      onChanged();
    });

  const sendDispute = (e: Event) =>
    send(e, reason.trim() ? "" : t("citizen.dispute_need_reason"), async () => {
      await dispute(data.reference, creds, reason.trim());
      setMsg(t("citizen.dispute_sent"));
      setShowDispute(false);
      onDisputed();
      onChanged();
    });

  return (
    <section class="card" aria-labelledby="feedback-title" data-testid="lacak-feedback">
      <h2 id="feedback-title">{t("citizen.feedback_title")}</h2>
      <p role="status" data-testid="feedback-status">
        {msg || (data.rated ? t("citizen.rated") : "")}
      </p>
      <FormError text={err} />
      {data.can_rate && (
        <form onSubmit={sendRating} data-testid="rating-form">
          <Stars value={score} onChange={setScore} />
          <TextArea
            id="rate-comment"
            label={t("citizen.rate_comment")}
            value={comment}
            onValue={setComment}
          />
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
        <form onSubmit={sendDispute} data-testid="dispute-form">
          <TextArea
            id="dispute-reason"
            label={t("citizen.dispute_reason")}
            value={reason}
            onValue={setReason}
            attrs={{ required: true }}
          />
          <button type="submit" class="btn btn-danger btn-block" disabled={busy}>
            {t("citizen.dispute_submit")}
          </button>
        </form>
      )}
    </section>
  );
}
