"""The printable monthly report (HTML with print CSS) and the monthly CSV, in Indonesian or English.

Laid out like the figures the city gives the press: calls received, valid calls and their ratio,
prank and ghost calls, then tickets per agency finished / in process / not yet acted on. Every
label comes from the i18n catalog; every value is escaped.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from html import escape
from importlib.resources import files
from string import Template
from zoneinfo import ZoneInfo

from api.domain.lifecycle import PUBLIC_STATUS_TEXT
from api.domain.stats import CALL_CLASSES_REPORTED, METRICS, csv_safe, percent
from api.i18n import t
from api.services.stats_monthly import MonthlyReport

_TEMPLATE = Template(files(__package__).joinpath("monthly_report.html").read_text("utf-8"))


def number(n: int | float | None, lang: str, digits: int = 0) -> str:
    """3218 -> "3.218" (id) or "3,218" (en); ``None`` -> an en dash."""
    if n is None:
        return "–"
    text = f"{n:,.{digits}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def pct(p: int | float | None, lang: str) -> str:
    return "–" if p is None else f"{number(p, lang)}%"


def month_name(d: date, lang: str) -> str:
    return f"{t('report_months', lang).split()[d.month - 1]} {d.year}"


def long_date(d: date, lang: str) -> str:
    return f"{d.day} {month_name(d, lang)}"


def minutes(m: float | None, lang: str) -> str:
    if m is None:
        return "–"
    if m >= 120:
        return t("report_hours", lang, value=number(m / 60, lang, 1))
    return t("report_minutes", lang, value=number(m, lang, 1))


def _status(word: str, lang: str) -> str:
    return PUBLIC_STATUS_TEXT[word][lang]


def _figure(label: str, value: str, extra: str, previous: str) -> str:
    extra_html = f' <span class="r">{escape(extra)}</span>' if extra else ""
    return (
        f'<div class="figure"><div class="l">{escape(label)}</div>'
        f'<div class="n">{escape(value)}{extra_html}</div>'
        f'<div class="p">{escape(previous)}</div></div>'
    )


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def render_monthly_report(
    r: MonthlyReport, lang: str, zone: ZoneInfo, agency_name: str | None = None
) -> str:
    """The month as a printable HTML page."""
    first = r.period.first_day
    prev_label = t("report_previous_month", lang)
    sections: list[str] = []
    figures: list[str] = []
    c = r.calls
    if c is not None:
        figures += [
            _figure(
                t("report_calls_received", lang),
                number(c.received, lang),
                "",
                f"{prev_label}: {number(c.previous_received, lang)}",
            ),
            _figure(
                t("report_calls_valid", lang),
                number(c.valid, lang),
                f"({pct(c.valid_percent, lang)})",
                f"{prev_label}: {number(c.previous_valid, lang)} "
                f"({pct(c.previous_valid_percent, lang)})",
            ),
            _figure(
                t("report_prank_or_ghost", lang),
                number(c.prank_or_ghost, lang),
                f"({pct(percent(c.prank_or_ghost, c.received), lang)})",
                f"{t('call_class_prank', lang)} {number(c.prank, lang)} · "
                f"{t('call_class_ghost', lang)} {number(c.ghost, lang)}",
            ),
        ]
    tk = r.tickets
    figures.append(
        _figure(
            t("report_tickets_created", lang),
            number(tk.created, lang),
            "",
            f"{prev_label}: {number(tk.previous_created, lang)}",
        )
    )
    sections.append(f'<section class="figures">{"".join(figures)}</section>')

    if c is not None:
        body = []
        for cls in CALL_CLASSES_REPORTED:
            n = getattr(c, cls)
            body.append(
                _row(
                    [
                        t(f"call_class_{cls}", lang),
                        number(n, lang),
                        pct(percent(n, c.received), lang),
                    ]
                )
            )
        sections.append(
            f"<h2>{escape(t('report_calls_section', lang))}</h2><table><thead>"
            + _row(
                [t("report_class", lang), t("report_count", lang), t("report_share", lang)], "th"
            )
            + "</thead><tbody>"
            + "".join(body)
            + "</tbody><tfoot>"
            + _row([t("report_total", lang), number(c.received, lang), pct(100, lang)])
            + "</tfoot></table>"
        )

    head = [
        t("report_agency", lang),
        t("report_tickets", lang),
        _status("selesai", lang),
        _status("dalam_proses", lang),
        _status("belum_ditindaklanjuti", lang),
        t("report_finished_percent", lang),
    ]
    rows = [
        _row(
            [
                a.name,
                number(a.created, lang),
                number(a.selesai, lang),
                number(a.dalam_proses, lang),
                number(a.belum_ditindaklanjuti, lang),
                pct(a.finished_percent, lang),
            ]
        )
        for a in r.agencies
    ]
    if not rows:
        rows = [f'<tr><td colspan="6">{escape(t("report_no_tickets", lang))}</td></tr>']
    total = _row(
        [
            t("report_total", lang),
            number(tk.created, lang),
            number(tk.selesai, lang),
            number(tk.dalam_proses, lang),
            number(tk.belum_ditindaklanjuti, lang),
            pct(tk.finished_percent, lang),
        ]
    )
    sections.append(
        f"<h2>{escape(t('report_tickets_section', lang))}</h2><table><thead>"
        + _row(head, "th")
        + "</thead><tbody>"
        + "".join(rows)
        + f"</tbody><tfoot>{total}</tfoot></table>"
    )

    perf = [
        _row([t(f"metric_{m}", lang) + f" ({t('report_median', lang)})", minutes(v, lang)])
        for m, v in ((m, r.median_minutes.get(m)) for m in METRICS)
    ]
    perf += [
        _row([t("report_sla_compliance", lang), pct(r.sla_compliance_percent, lang)]),
        _row([t("report_overdue_now", lang), number(tk.overdue_now, lang)]),
        _row([t("report_rating", lang), number(r.rating_average, lang, 2)]),
    ]
    sections.append(
        f"<h2>{escape(t('report_response_section', lang))}</h2><table><tbody>"
        + "".join(perf)
        + "</tbody></table>"
    )

    as_of = r.as_of.astimezone(zone)
    subtitle = escape(
        t(
            "report_subtitle",
            lang,
            first=long_date(first, lang),
            last=long_date(r.period.last_day, lang),
            tz=zone.key,
        )
    )
    if agency_name:
        scope = escape(t("report_scope_agency", lang, agency=agency_name))
        subtitle += f' · <span class="scope">{scope}</span>'
    footer = t(
        "report_footer",
        lang,
        as_of=f"{long_date(as_of.date(), lang)} {as_of:%H:%M}",
        tz=zone.key,
    )
    return _TEMPLATE.substitute(
        lang=lang,
        title=escape(t("report_title", lang, city=r.city) + " · " + month_name(first, lang)),
        subtitle=subtitle,
        sections="\n".join(sections),
        footer=escape(footer),
    )


MONTHLY_CSV_COLUMNS = ("month", "section", "item", "label", "value", "percent")


def monthly_csv(r: MonthlyReport, lang: str) -> str:
    """The monthly report as a tidy CSV: one figure per line."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(MONTHLY_CSV_COLUMNS)
    month = r.month

    def put(section: str, item: str, label: str, value: object, share: int | None = None) -> None:
        w.writerow(
            [
                month,
                section,
                csv_safe(item),
                csv_safe(label),
                "" if value is None else value,
                "" if share is None else share,
            ]
        )

    c = r.calls
    if c is not None:
        put("calls", "received", t("report_calls_received", lang), c.received)
        put("calls", "valid", t("report_calls_valid", lang), c.valid, c.valid_percent)
        put(
            "calls",
            "prank_or_ghost",
            t("report_prank_or_ghost", lang),
            c.prank_or_ghost,
            percent(c.prank_or_ghost, c.received),
        )
        for cls in CALL_CLASSES_REPORTED:
            n = getattr(c, cls)
            put("calls_by_class", cls, t(f"call_class_{cls}", lang), n, percent(n, c.received))
    tk = r.tickets
    put("tickets", "created", t("report_tickets_created", lang), tk.created)
    for word in ("selesai", "dalam_proses", "belum_ditindaklanjuti"):
        n = getattr(tk, word)
        put("tickets", word, _status(word, lang), n, percent(n, tk.created))
    put("tickets", "overdue_now", t("report_overdue_now", lang), tk.overdue_now)
    for a in r.agencies:
        put(f"agency:{a.code}", "created", a.name, a.created)
        for word in ("selesai", "dalam_proses", "belum_ditindaklanjuti"):
            n = getattr(a, word)
            put(f"agency:{a.code}", word, a.name, n, percent(n, a.created))
    for m in METRICS:
        put("response", f"median_minutes_to_{m}", t(f"metric_{m}", lang), r.median_minutes.get(m))
    put(
        "sla",
        "compliance",
        t("report_sla_compliance", lang),
        r.sla_compliance_percent,
        r.sla_compliance_percent,
    )
    put("ratings", "average", t("report_rating", lang), r.rating_average)
    return buf.getvalue()
