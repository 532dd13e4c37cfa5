import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

vi.mock("../src/lib/session", () => ({
  api: {
    // POST /api/events/tickets: a fresh single-use ticket each time.
    request: vi.fn(async () => ({ ticket: `tkt${++tickets}` })),
  },
}));

let tickets = 0;

class FakeEventSource {
  static all: FakeEventSource[] = [];
  url: string;
  onerror: (() => void) | null = null;
  closed = false;
  private listeners = new Map<string, ((e: MessageEvent) => void)[]>();
  constructor(url: string) {
    this.url = url;
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, fn: (e: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  emit(type: string, data: unknown, id = "") {
    const e = { data: JSON.stringify(data), lastEventId: id } as MessageEvent;
    for (const fn of this.listeners.get(type) ?? []) fn(e);
  }
  close() {
    this.closed = true;
  }
}

describe("the control room's live stream", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.all = [];
    (globalThis as { EventSource?: unknown }).EventSource = FakeEventSource;
  });
  afterEach(() => vi.useRealTimers());

  it("reopens with a fresh ticket after the last case event it saw", async () => {
    const { openLive } = await import("../src/dispatch/live");
    const cases: number[] = [];
    const stop = openLive({
      onCase: (e) => cases.push(e.id),
      onPosition: () => undefined,
      onResync: () => undefined,
      onState: () => undefined,
    });
    await vi.advanceTimersByTimeAsync(0);
    const first = FakeEventSource.all[0];
    expect(first.url).toContain("ticket=tkt1");
    expect(first.url).not.toContain("access_token");
    expect(first.url).not.toContain("after=");
    first.emit("hello", {}, "40");
    first.emit("case", { t: "case", id: 41 }, "41");
    first.emit("case", { t: "case", id: 42 }, "42");
    first.onerror?.();
    expect(first.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(1500);
    const second = FakeEventSource.all[1];
    expect(second.url).toContain("ticket=tkt2");
    expect(second.url).toContain("after=42");
    expect(cases).toEqual([41, 42]);
    stop();
    expect(second.closed).toBe(true);
  });
});
