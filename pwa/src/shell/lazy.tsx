/**
 * A screen (or a heavy part of one) in its own chunk, fetched on first use (then precached for
 * offline): maps, charts and the control-room console never weigh on a field officer's or a
 * citizen's first screen. The one lazy loader of the app: nothing else imports a chunk by hand.
 */
import { type FunctionComponent, h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../lib/i18n";

export function lazyScreen<P extends object>(
  load: () => Promise<FunctionComponent<P>>,
): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | null = null;
  return function LazyScreen(props: P) {
    const [Comp, setComp] = useState(() => loaded);
    useEffect(() => {
      if (Comp) return;
      void load().then((c) => {
        loaded = c;
        setComp(() => c);
      });
    }, [Comp]);
    return Comp ? h(Comp, props) : <p class="loading">{t("app.loading")}</p>;
  };
}
