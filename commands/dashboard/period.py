"""The period a report covers: whole days in the federation's time zone, chosen in the page's
query (`from=2026-11-01&to=2026-11-30`, or `month=2026-11`), and its weeks or months."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError

MAX_DAYS = 731  # two years: a longer report would mean nothing on one page
WEEKLY_UP_TO = 120  # days; longer periods are drawn by month


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date  # included
    tz: ZoneInfo

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), self.tz)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), self.tz)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}

    def buckets(self) -> list[tuple[date, datetime, datetime]]:
        """Weeks (from Monday) or, for long periods, months: (first day, since, until)."""
        found = []
        if self.days <= WEEKLY_UP_TO:
            day = self.start - timedelta(days=self.start.weekday())
            while day <= self.end:
                found.append(day)
                day += timedelta(days=7)
        else:
            day = self.start.replace(day=1)
            while day <= self.end:
                found.append(day)
                day = _next_month(day)
        step_end = [*found[1:], None]
        out = []
        for first, following in zip(found, step_end, strict=True):
            since = max(datetime.combine(first, time(), self.tz), self.since)
            until = (
                self.until if following is None else datetime.combine(following, time(), self.tz)
            )
            out.append((first, since, min(until, self.until)))
        return out

    @property
    def weekly(self) -> bool:
        return self.days <= WEEKLY_UP_TO


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_of(day: date, tz: ZoneInfo) -> Period:
    first = day.replace(day=1)
    return Period(first, _next_month(first) - timedelta(days=1), tz)


def _date(text: str, key: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError("dashboard.period.bad_date", field=key, value=text[:20]) from None


def parse_period(query: Mapping[str, str], today: date, tz: ZoneInfo) -> Period:
    """`month=YYYY-MM`, or `from`/`to` dates; by default, this month up to today."""
    if month := query.get("month", "").strip():
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            raise UserError("dashboard.period.bad_month", value=month[:20]) from None
        return month_of(first, tz)
    start = _date(query["from"], "from") if query.get("from") else today.replace(day=1)
    end = _date(query["to"], "to") if query.get("to") else today
    if end < start:
        raise UserError("dashboard.period.reversed")
    if (end - start).days >= MAX_DAYS:
        raise UserError("dashboard.period.too_long", days=MAX_DAYS)
    return Period(start, end, tz)


def presets(today: date, tz: ZoneInfo) -> dict[str, Period]:
    """The quick choices offered above the charts."""
    this_month = Period(today.replace(day=1), today, tz)
    last_month = month_of(this_month.start - timedelta(days=1), tz)
    quarter_start = (this_month.start - timedelta(days=62)).replace(day=1)
    return {
        "this_month": this_month,
        "last_month": last_month,
        "three_months": Period(quarter_start, today, tz),
        "this_year": Period(date(today.year, 1, 1), today, tz),
    }
