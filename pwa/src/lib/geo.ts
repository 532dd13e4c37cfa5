/** Distances and bearings, the "navigate" link, and position pings while on duty. */

export interface Position {
  lat: number;
  lon: number;
  accuracy_m: number;
  at: number;
}

const R = 6_371_000;

/** Great-circle distance in metres (haversine). */
export function distanceM(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const rad = Math.PI / 180;
  const dLat = (bLat - aLat) * rad;
  const dLon = (bLon - aLon) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(aLat * rad) * Math.cos(bLat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial great-circle bearing from a to b, in degrees clockwise from north (0 to 359). */
export function bearingDeg(aLat: number, aLon: number, bLat: number, bLon: number): number {
  const rad = Math.PI / 180;
  const dLon = (bLon - aLon) * rad;
  const y = Math.sin(dLon) * Math.cos(bLat * rad);
  const x =
    Math.cos(aLat * rad) * Math.sin(bLat * rad) -
    Math.sin(aLat * rad) * Math.cos(bLat * rad) * Math.cos(dLon);
  return Math.round((Math.atan2(y, x) / rad + 360) % 360) % 360;
}

export const COMPASS = ["n", "ne", "e", "se", "s", "sw", "w", "nw"] as const;
export type Compass = (typeof COMPASS)[number];

/** The eight-point compass direction of a bearing (north covers 337.5° to 22.5°). */
export function compassPoint(bearing: number): Compass {
  return COMPASS[Math.round((((bearing % 360) + 360) % 360) / 45) % 8];
}

/**
 * A link that opens the phone's own maps app at the case: Android hands `geo:` URIs to the maps
 * app the officer uses, iOS opens Apple Maps with directions; elsewhere a maps URL works in any
 * browser.
 */
export function navigationUrl(lat: number, lon: number, label: string, userAgent: string): string {
  if (/Android/i.test(userAgent)) {
    return `geo:${lat},${lon}?q=${lat},${lon}(${encodeURIComponent(label)})`;
  }
  if (/iPhone|iPad|iPod/i.test(userAgent)) {
    return `https://maps.apple.com/?daddr=${lat},${lon}`;
  }
  return `https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}`;
}

let last: Position | null = null;

export function lastPosition(): Position | null {
  return last;
}

function fromGeo(p: GeolocationPosition): Position {
  return {
    lat: p.coords.latitude,
    lon: p.coords.longitude,
    accuracy_m: p.coords.accuracy,
    at: p.timestamp || Date.now(),
  };
}

/** One position fix, or null (no permission, no fix in time). Never throws. */
export function currentPosition(timeoutMs = 10_000, maxAgeMs = 60_000): Promise<Position | null> {
  if (typeof navigator === "undefined" || !navigator.geolocation) return Promise.resolve(null);
  if (last && Date.now() - last.at < maxAgeMs) return Promise.resolve(last);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(last), timeoutMs + 500);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        clearTimeout(timer);
        last = fromGeo(p);
        resolve(last);
      },
      () => {
        clearTimeout(timer);
        resolve(last);
      },
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: maxAgeMs },
    );
  });
}

export interface PingPolicy {
  /** Send at most this often... */
  minIntervalMs: number;
  /** ...and at least this often while the position is steady. */
  maxIntervalMs: number;
  /** Movement that justifies a ping before maxIntervalMs. */
  minMoveM: number;
  /** Fixes worse than this are not sent (the API rejects very rough ones too). */
  maxAccuracyM: number;
  /** Stop watching when the app has been in the background this long. */
  hiddenStopMs: number;
}

export const DEFAULT_PING_POLICY: PingPolicy = {
  minIntervalMs: 15_000,
  maxIntervalMs: 60_000,
  minMoveM: 50,
  maxAccuracyM: 200,
  hiddenStopMs: 5 * 60_000,
};

/** Whether a new fix is worth a ping, given the last one sent. */
export function shouldPing(
  prev: Position | null,
  next: Position,
  policy: PingPolicy = DEFAULT_PING_POLICY,
): boolean {
  if (next.accuracy_m > policy.maxAccuracyM) return false;
  if (!prev) return true;
  const dt = next.at - prev.at;
  if (dt < policy.minIntervalMs) return false;
  if (dt >= policy.maxIntervalMs) return true;
  return distanceM(prev.lat, prev.lon, next.lat, next.lon) >= policy.minMoveM;
}

/**
 * Watches the position while on duty and hands worthwhile fixes to `send`. Battery-aware: no
 * high-accuracy GPS lock (network + GPS as the phone sees fit), stops after the app has been
 * hidden for `hiddenStopMs`, resumes when it is visible again.
 */
export class DutyTracker {
  private watchId: number | null = null;
  private sent: Position | null = null;
  private hiddenTimer: ReturnType<typeof setTimeout> | null = null;
  private active = false;
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly send: (p: Position) => void,
    private readonly onDenied: () => void,
    private readonly policy: PingPolicy = DEFAULT_PING_POLICY,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    document.addEventListener("visibilitychange", this.onVisibility);
    if (document.visibilityState === "visible") this.watch();
  }

  stop(): void {
    this.active = false;
    document.removeEventListener("visibilitychange", this.onVisibility);
    this.unwatch();
    if (this.hiddenTimer) clearTimeout(this.hiddenTimer);
    this.hiddenTimer = null;
  }

  private onVisibility = (): void => {
    if (document.visibilityState === "hidden") {
      this.hiddenTimer = setTimeout(() => this.unwatch(), this.policy.hiddenStopMs);
    } else {
      if (this.hiddenTimer) clearTimeout(this.hiddenTimer);
      this.hiddenTimer = null;
      if (this.active) this.watch();
    }
  };

  private offer(p: Position): void {
    last = p;
    if (shouldPing(this.sent, p, this.policy)) {
      this.sent = p;
      this.send(p);
    }
  }

  private watch(): void {
    if (this.watchId !== null || !navigator.geolocation) return;
    this.watchId = navigator.geolocation.watchPosition(
      (p) => this.offer(fromGeo(p)),
      (err) => {
        if (err.code === err.PERMISSION_DENIED) this.onDenied();
      },
      { enableHighAccuracy: false, maximumAge: 30_000, timeout: 60_000 },
    );
    // A phone standing still reports no new fixes: re-offer the last one so dispatch still
    // sees the team as fresh.
    this.heartbeat = setInterval(() => {
      if (last) this.offer({ ...last, at: Date.now() });
    }, this.policy.maxIntervalMs);
  }

  private unwatch(): void {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    this.watchId = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
