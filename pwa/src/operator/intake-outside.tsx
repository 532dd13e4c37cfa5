/**
 * The intake screen's "outside the city" notice: as the pin moves, the API says whether the place
 * is outside Kendari and in which neighbouring region, with that region's 112 contact, so the
 * operator can tell the caller or take the case and hand it off (docs/handoff.md).
 */
import { useEffect, useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { api } from "../lib/session";
import { OutsideFacts, type OutsideFlag } from "../ui/outside-flag";
import "../ui/control-words";

interface LatLon {
  lat: number;
  lon: number;
}

/** The flag for the pin (null: inside the city, no pin yet, or not known). */
export function useOutside(pin: LatLon | null): OutsideFlag | null {
  const [flag, setFlag] = useState<OutsideFlag | null>(null);
  useEffect(() => {
    if (!pin) {
      setFlag(null);
      return;
    }
    const ctl = new AbortController();
    api
      .request<{ outside: boolean; flag: OutsideFlag | null }>(
        `/api/neighbours/outside?lat=${pin.lat}&lon=${pin.lon}`,
        { signal: ctl.signal },
      )
      .then((r) => setFlag(r.flag))
      .catch(() => setFlag(null));
    return () => ctl.abort();
  }, [pin?.lat, pin?.lon]);
  return flag;
}

export function OutsideNotice({ flag }: { flag: OutsideFlag | null }) {
  if (!flag) return null;
  return (
    <section class="outside-flag" aria-labelledby="intake-outside-h" data-testid="intake-outside">
      <h3 id="intake-outside-h">{t("handoff.outside_title")}</h3>
      <OutsideFacts flag={flag} />
    </section>
  );
}
