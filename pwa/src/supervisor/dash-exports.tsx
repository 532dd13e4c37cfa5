/** The dashboard's exports: CSV files of the period's cases and calls, the month's CSV and report. */
import { ApiError } from "../lib/api";
import { t } from "../lib/i18n";
import { api } from "../lib/session";
import { ButtonCard } from "../ui/room-link-card";

export type CsvKind = "cases" | "calls" | "monthly";

/** Fetch a file with the bearer token and hand it to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const r = await api.raw(path);
  if (!r.ok) throw new ApiError(r.status, "export_failed", r.statusText);
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function openReport(path: string): Promise<void> {
  // The report needs the bearer token, so it is fetched and opened as a page of its own.
  const win = window.open("", "_blank");
  const r = await api.raw(path);
  const html = await r.text();
  const url = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  if (win) win.location.href = url;
  else location.href = url;
}

export function Exports(p: {
  withCalls: boolean;
  busy: boolean;
  month: string;
  onCsv: (what: CsvKind) => void;
  onReport: () => void;
}) {
  const csv = (what: CsvKind, title: string) => (
    <ButtonCard
      testid={`export-${what}`}
      disabled={p.busy}
      onClick={() => p.onCsv(what)}
      title={title}
      hint={t("dash.export_hint")}
    />
  );
  return (
    <>
      <h2>{t("dash.exports")}</h2>
      <ul class="link-list dash-exports">
        {csv("cases", t("dash.export_cases"))}
        {p.withCalls && csv("calls", t("dash.export_calls"))}
        {csv("monthly", t("dash.export_monthly", { month: p.month }))}
        <ButtonCard
          testid="report-monthly"
          disabled={p.busy}
          onClick={p.onReport}
          title={t("dash.report_monthly", { month: p.month })}
          hint={t("dash.report_hint")}
        />
      </ul>
    </>
  );
}
