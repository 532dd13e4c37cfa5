"""Call classification rules: the ghost-call rule and the prank flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from api.domain.vocabulary import CallClass

GHOST_MAX_SECONDS = 10


def auto_class(
    duration_s: int | None, has_content: bool, chosen: CallClass | None
) -> CallClass | None:
    """The class a call gets when the operator has not chosen one.

    A call under 10 s with nothing said is a ghost call. Otherwise the class waits for the
    operator (``None``); an operator's explicit choice always stands.
    """
    if chosen is not None:
        return chosen
    if duration_s is not None and duration_s < GHOST_MAX_SECONDS and not has_content:
        return "ghost"
    return None


@dataclass(frozen=True, slots=True)
class PrankPolicy:
    threshold: int = 3  # prank calls ...
    window: timedelta = timedelta(hours=24)  # ... within this window flag the number ...
    flag_for: timedelta = timedelta(hours=24)  # ... for this long after the latest prank


def flagged_until(prank_times: list[datetime], policy: PrankPolicy) -> datetime | None:
    """When a number's flag ends, or ``None`` if its prank calls never reached the threshold.

    The flag is raised once ``threshold`` pranks fall within ``window`` of each other, and lasts
    ``flag_for`` after the latest prank.
    """
    times = sorted(prank_times)
    if len(times) < policy.threshold:
        return None
    raised = False
    for i in range(policy.threshold - 1, len(times)):
        if times[i] - times[i - policy.threshold + 1] <= policy.window:
            raised = True
            break
    if not raised:
        return None
    return times[-1] + policy.flag_for


def is_flagged(prank_times: list[datetime], policy: PrankPolicy, now: datetime) -> bool:
    until = flagged_until(prank_times, policy)
    return until is not None and now < until
