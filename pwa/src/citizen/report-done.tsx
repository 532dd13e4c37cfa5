/** The end of a report: the tracking code, large, to copy or share, with the PIN and the link. */
import { useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { PageTitle } from "../shell/ui";
import type { ReportAnswer } from "./data";

export function ReportDone({ answer }: { answer: ReportAnswer }) {
  const [copied, setCopied] = useState("");
  const link = `${location.origin}/lacak/${encodeURIComponent(answer.reference)}`;
  const canShare = typeof navigator.share === "function";

  async function copy() {
    try {
      await navigator.clipboard.writeText(answer.reference);
      setCopied(t("citizen.copied"));
    } catch {
      setCopied(t("citizen.copy_failed"));
    }
  }

  async function share() {
    try {
      await navigator.share({
        title: t("citizen.share_title", { ref: answer.reference }),
        text: t("citizen.share_text", { ref: answer.reference }),
        url: link,
      });
    } catch {
      // Dismissed by the citizen: nothing to do.
    }
  }

  return (
    <section class="screen citizen" data-testid="lapor-done">
      <PageTitle>{t("citizen.done_title")}</PageTitle>
      <p>{t("citizen.done_body", { agency: answer.agency })}</p>
      <div class="code-box">
        <p class="small">{t("citizen.code_label")}</p>
        <p class="code" data-testid="tracking-code">
          {answer.reference}
        </p>
        <div class="row">
          <button type="button" class="btn btn-primary" onClick={() => void copy()}>
            {t("citizen.copy")}
          </button>
          {canShare && (
            <button type="button" class="btn btn-secondary" onClick={() => void share()}>
              {t("citizen.share")}
            </button>
          )}
        </div>
        <p role="status" class="small" data-testid="copy-status">
          {copied}
        </p>
      </div>
      <dl class="facts">
        <dt>{t("citizen.pin_label")}</dt>
        <dd class="pin" data-testid="tracking-pin">
          {answer.pin}
        </dd>
        <dt>{t("citizen.status_label")}</dt>
        <dd>{answer.status_text}</dd>
      </dl>
      <p class="small muted">{t("citizen.pin_hint")}</p>
      <a
        class="btn btn-primary btn-xl btn-block"
        href={`/lacak/${encodeURIComponent(answer.reference)}`}
        data-testid="tracking-link"
      >
        {t("citizen.track_this")}
      </a>
      <p class="small muted break">{link}</p>
    </section>
  );
}
