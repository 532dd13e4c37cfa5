/** Small shared pieces: the language hook, badges, and the page heading that takes focus. */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { getLanguage, hasKey, type Lang, onLanguageChange, t } from "../lib/i18n";

/** Re-render when the language changes; returns the current language. */
export function useLanguage(): Lang {
  const [lang, setLang] = useState(getLanguage());
  useEffect(() => onLanguageChange(setLang), []);
  return lang;
}

export function statusLabel(status: string): string {
  const key = `status.${status}`;
  return hasKey(key) ? t(key) : status;
}

export function priorityLabel(priority: string): string {
  const key = `priority.${priority}`;
  return hasKey(key) ? t(key) : priority;
}

export function PriorityBadge({ priority }: { priority: string }) {
  return <span class={`badge prio prio-${priority}`}>{priorityLabel(priority)}</span>;
}

export function OverdueBadge() {
  return <span class="badge overdue">{t("tasks.overdue")}</span>;
}

/** Each screen's h1 receives focus after navigation, so screen readers announce the new page. */
export function PageTitle({ children }: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** What a screen says to a signed-in role it is not for. */
export function NotForRole({ title, body }: { title: string; body: string }) {
  return (
    <section class="screen">
      <PageTitle>{title}</PageTitle>
      <p>{body}</p>
    </section>
  );
}

/** A quiet link under a page's content (staff sign-in; back to the citizens' page). */
export function AsideLink(p: { href: string; testid: string; children: ComponentChildren }) {
  return (
    <p class="landing-staff">
      <a href={p.href} data-testid={p.testid}>
        {p.children}
      </a>
    </p>
  );
}
