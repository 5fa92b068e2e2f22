"""A `Schedule` in words, in French or English ("tous les lundis à 9 h")."""

from __future__ import annotations

from babel.lists import format_list

from bot.i18n import Translator, load_catalog, translator
from bot.schedules.cron import _ALL_DAYS, _ALL_MONTHS, _ALL_WEEKDAYS, DAY_CODES, _Cron, _parse_cron
from bot.schedules.model import _NTH_CODES, Schedule


def describe(schedule: Schedule, lang: str) -> str:
    """The schedule in words: "tous les lundis à 9 h" / "every Monday at 9:00 AM"."""
    t = translator(lang)
    if schedule.cron is not None:
        words = _describe_cron(_parse_cron(schedule.cron), t)
        return words or t("schedules.cron", expr=schedule.cron)
    return t("schedules.at", when=_when(schedule, t), times=t.clock(schedule.hour, schedule.minute))


def _when(s: Schedule, t: Translator) -> str:
    if s.kind == "daily":
        return t("schedules.every_day")
    if s.day_of_month is not None:
        return _month_days([s.day_of_month], t, clamp=True)
    assert s.weekday is not None  # every other kind has one, by Schedule's invariants
    day = t(f"schedules.weekday.{DAY_CODES[s.weekday]}")
    if s.kind == "weekly":
        return _weekdays_phrase([s.weekday], t)
    if s.kind == "biweekly":
        return t("schedules.every_other_week", day=day)
    if s.kind == "every4weeks":
        return t("schedules.every_four_weeks", day=day)
    assert s.nth is not None  # monthly on a weekday
    return t("schedules.monthly_nth", nth=t(f"schedules.nth.{_NTH_CODES[s.nth]}"), day=day)


def _describe_cron(spec: _Cron, t: Translator) -> str | None:
    """Words for the common shapes; None for the rest (shown as the raw expression)."""
    if len(spec.minutes) != 1 or len(spec.hours) > 4 or spec.months != _ALL_MONTHS:
        return None
    if spec.either_day:
        return None  # "the 1st or any Monday" is too easy to misread
    if spec.days == _ALL_DAYS:
        when = _weekdays_phrase(sorted(spec.weekdays), t)
    elif spec.weekdays == _ALL_WEEKDAYS and len(spec.days) <= 4:
        when = _month_days(sorted(spec.days), t, clamp=False)
    else:
        return None
    (minute,) = spec.minutes
    times = format_list([t.clock(h, minute) for h in sorted(spec.hours)], locale=t.lang)
    return t("schedules.at", when=when, times=times)


def _weekdays_phrase(days: list[int], t: Translator) -> str:
    if len(days) == 7:
        return t("schedules.every_day")
    if len(days) >= 3 and days == list(range(days[0], days[-1] + 1)):
        first, last = (t(f"schedules.weekday.{DAY_CODES[d]}") for d in (days[0], days[-1]))
        return t("schedules.weekday_range", first=first, last=last)
    names = [t(f"schedules.weekdays.{DAY_CODES[d]}") for d in days]
    return t("schedules.on_weekdays", days=format_list(names, locale=t.lang))


def _month_days(days: list[int], t: Translator, *, clamp: bool) -> str:
    if clamp and days[0] > 28:
        return t("schedules.monthly_day_clamped", day=_ordinal(days[0], t))
    names = format_list([_ordinal(d, t) for d in days], locale=t.lang)
    return t.plural("schedules.monthly_day", len(days), days=names)


def _ordinal(n: int, t: Translator) -> str:
    """1er / 1st: CLDR ordinal categories, with one template per category in the catalogue."""
    forms = load_catalog(t.lang).get("schedules.ordinal") or load_catalog("fr")["schedules.ordinal"]
    if isinstance(forms, str):
        return forms.format(n=n)
    return forms.get(t.locale.ordinal_form(n), forms["other"]).format(n=n)
