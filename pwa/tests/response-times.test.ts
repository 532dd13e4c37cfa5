import { h, render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import { setLanguage } from "../src/lib/i18n";
import { formatDuration, TimesChart } from "../src/supervisor/charts";
import type { ResponseTimes } from "../src/supervisor/query";

function headline(estimated: boolean) {
  return {
    n: 400_000,
    median_s: 1_500,
    p90_s: 5_400,
    estimated,
    previous_n: 390_000,
    previous_median_s: 1_560,
    previous_p90_s: 5_500,
    previous_estimated: estimated,
  };
}

function times(estimated: boolean): ResponseTimes {
  const period = { start: "2025-11-01", end: "2025-12-01", label: "2025-11" };
  return {
    period,
    previous_period: period,
    group_by: "agency",
    headline: {
      dispatch: headline(estimated),
      accept: headline(estimated),
      arrive: headline(estimated),
      resolve: headline(estimated),
    },
    rows: [],
    stage_events: {},
  } as unknown as ResponseTimes;
}

describe("response times", () => {
  afterEach(() => {
    setLanguage("id", false);
    document.body.innerHTML = "";
  });

  it("marks an estimate with ≈ and leaves exact figures alone", () => {
    expect(formatDuration(1_500)).toBe("25 mnt");
    expect(formatDuration(1_500, true)).toBe("≈ 25 mnt");
    expect(formatDuration(null, true)).toBe("—");
  });

  it("says under the chart, in both languages, that the figures are estimated", () => {
    const root = document.createElement("div");
    document.body.append(root);
    render(h(TimesChart, { times: times(true) }), root);
    const note = root.querySelector('[data-testid="times-estimated"]');
    expect(note?.textContent).toContain("sampel satu dari 32 kasus");
    expect(root.querySelector("table")?.textContent).toContain("≈ 25 mnt");
    setLanguage("en", false);
    render(h(TimesChart, { times: times(true) }), root);
    expect(root.querySelector('[data-testid="times-estimated"]')?.textContent).toContain(
      "sample of one case in 32",
    );
    render(h(TimesChart, { times: times(false) }), root);
    expect(root.querySelector('[data-testid="times-estimated"]')).toBeNull();
    expect(root.querySelector("table")?.textContent).not.toContain("≈");
  });
});
