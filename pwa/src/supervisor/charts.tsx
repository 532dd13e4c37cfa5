/**
 * Two small charts drawn as SVG (no chart library: see pwa/README.md): calls by class per day
 * (stacked bars) and response times per stage (median and 90th percentile). Each chart is an
 * image with a text label for screen readers and a data table beside it.
 */
import type { ComponentChildren } from "preact";
import { type Key, t } from "../lib/i18n";
import { ChartTable } from "../ui/room-table";
import { CALL_CLASSES, type CallStats, type ResponseTimes, STAGES } from "./query";

// Colour-blind-safe (Okabe-Ito), each at least 3:1 against white.
export const CLASS_COLOURS: Record<string, string> = {
  valid: "#0072b2",
  informasi: "#009e73",
  curhat: "#cc79a7",
  prank: "#d55e00",
  ghost: "#5b5b5b",
  wrong_number: "#9a6a00",
  unclassified: "#8a8a8a",
};

// The response-time bars: median, and the 90th percentile in a lighter tone.
const MEDIAN = "#0072b2";
const P90 = "#9ccbe8";

const W = 640;
const H = 220;
const PAD = { l: 36, r: 8, t: 8, b: 28 };

function niceMax(n: number): number {
  if (n <= 5) return 5;
  const mag = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= n) return m * mag;
  return n;
}

export function classLabel(c: string): string {
  return t(`dash.class.${c}` as Key);
}

/** A chart: its caption, the drawing (an image named by the caption), a legend, the table. */
function Chart(p: {
  name: "calls" | "times";
  title: string;
  height: number;
  /** Stretch the drawing to the figure's width (the day bars), else keep its proportions. */
  stretch?: boolean;
  plot: ComponentChildren;
  legend: { colour: string; label: string }[];
  cols: string[];
  children: ComponentChildren;
}) {
  const id = `chart-${p.name}`;
  return (
    <figure class="chart" data-testid={id}>
      <figcaption id={`${id}-title`}>{p.title}</figcaption>
      <svg
        viewBox={`0 0 ${W} ${p.height}`}
        role="img"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-table`}
        preserveAspectRatio={p.stretch ? "none" : undefined}
      >
        <title>{p.title}</title>
        {p.plot}
      </svg>
      <ul class="legend">
        {p.legend.map((l) => (
          <li key={l.label}>
            <span class="swatch" style={{ background: l.colour }} aria-hidden="true" />
            {l.label}
          </li>
        ))}
      </ul>
      <ChartTable id={`${id}-table`} caption={p.title} cols={p.cols}>
        {p.children}
      </ChartTable>
    </figure>
  );
}

export function CallsChart({ calls }: { calls: CallStats }) {
  const days = calls.by_day;
  const max = niceMax(Math.max(1, ...days.map((d) => d.total)));
  const plotW = W - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const bw = plotW / Math.max(1, days.length);
  const labelEvery = Math.ceil(days.length / 10);
  const y = (v: number) => PAD.t + plotH - (v / max) * plotH;
  const plot = (
    <>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line x1={PAD.l} x2={W - PAD.r} y1={y(max * f)} y2={y(max * f)} class="grid" />
          <text x={PAD.l - 4} y={y(max * f) + 4} text-anchor="end" class="axis">
            {Math.round(max * f)}
          </text>
        </g>
      ))}
      {days.map((d, i) => {
        let acc = 0;
        return (
          <g key={d.date}>
            {CALL_CLASSES.map((c) => {
              const v = d[c];
              if (!v) return null;
              const y0 = y(acc);
              acc += v;
              const y1 = y(acc);
              return (
                <rect
                  key={c}
                  x={PAD.l + i * bw + bw * 0.1}
                  width={bw * 0.8}
                  y={y1}
                  height={y0 - y1}
                  fill={CLASS_COLOURS[c]}
                />
              );
            })}
            {i % labelEvery === 0 && (
              <text x={PAD.l + i * bw + bw / 2} y={H - 10} text-anchor="middle" class="axis">
                {d.date.slice(8)}
              </text>
            )}
          </g>
        );
      })}
    </>
  );
  return (
    <Chart
      name="calls"
      title={t("dash.chart_calls")}
      height={H}
      stretch
      plot={plot}
      legend={CALL_CLASSES.map((c) => ({
        colour: CLASS_COLOURS[c],
        label: `${classLabel(c)}: ${calls.by_class[c]}`,
      }))}
      cols={[t("dash.col_day"), ...CALL_CLASSES.map(classLabel), t("dash.col_total")]}
    >
      {days.map((d) => (
        <tr key={d.date}>
          <th scope="row">{d.date}</th>
          {CALL_CLASSES.map((c) => (
            <td key={c}>{d[c]}</td>
          ))}
          <td>{d.total}</td>
        </tr>
      ))}
    </Chart>
  );
}

/** Seconds as minutes (or hours past 120 min), for people, in the current language; an
 * estimate (from the API's sample of a large period) is marked "≈". */
export function formatDuration(s: number | null, estimated = false): string {
  if (s === null) return "—";
  const min = s / 60;
  const text =
    min < 120
      ? t("dash.minutes", { n: Math.round(min) })
      : t("dash.hours", { n: Math.round(min / 6) / 10 });
  return estimated ? `≈ ${text}` : text;
}

export function TimesChart({ times }: { times: ResponseTimes }) {
  const rows = STAGES.map((s) => ({ stage: s, h: times.headline[s] }));
  const max = Math.max(
    60,
    ...rows.map((r) => r.h?.p90_s ?? 0),
    ...rows.map((r) => r.h?.median_s ?? 0),
  );
  const rowH = 44;
  const h = rows.length * rowH + 8;
  const left = 150;
  const plotW = W - left - 80;
  const x = (v: number) => (v / max) * plotW;
  const plot = rows.map((r, i) => (
    <g key={r.stage} transform={`translate(0 ${i * rowH + 4})`}>
      <text x={left - 8} y={22} text-anchor="end" class="axis-label">
        {t(`dash.stage.${r.stage}` as Key)}
      </text>
      <rect x={left} y={6} height={14} width={x(r.h?.median_s ?? 0)} fill={MEDIAN} />
      <rect x={left} y={22} height={10} width={x(r.h?.p90_s ?? 0)} fill={P90} />
      <text x={left + x(Math.max(r.h?.median_s ?? 0, r.h?.p90_s ?? 0)) + 6} y={22} class="axis">
        {formatDuration(r.h?.median_s ?? null, r.h?.estimated)}
      </text>
    </g>
  ));
  const estimated = rows.some((r) => r.h?.estimated || r.h?.previous_estimated);
  return (
    <>
      <Chart
        name="times"
        title={t("dash.chart_times")}
        height={h}
        plot={plot}
        legend={[
          { colour: MEDIAN, label: t("dash.median") },
          { colour: P90, label: t("dash.p90") },
        ]}
        cols={[t("dash.col_stage"), t("dash.median"), t("dash.p90"), t("dash.col_cases")]}
      >
        {rows.map((r) => (
          <tr key={r.stage}>
            <th scope="row">{t(`dash.stage.${r.stage}` as Key)}</th>
            <td>{formatDuration(r.h?.median_s ?? null, r.h?.estimated)}</td>
            <td>{formatDuration(r.h?.p90_s ?? null, r.h?.estimated)}</td>
            <td>{r.h?.n ?? 0}</td>
          </tr>
        ))}
      </Chart>
      {estimated && (
        <p class="muted" data-testid="times-estimated">
          {t("dash.estimated_note")}
        </p>
      )}
    </>
  );
}
