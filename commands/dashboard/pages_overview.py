"""The overview (staff): the federation's impact over a chosen period, per agency or per
region, each chart with its table and its CSV; and the printable monthly report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from aiohttp import web
from markupsafe import Markup

from bot.errors import UserError
from commands.dashboard.charts import Chart, svg
from commands.dashboard.impact import GROUPS, Impact, gather
from commands.dashboard.period import Period, month_of, parse_period, presets
from commands.dashboard.rendering import nav_for, redirect, render, visitor_of
from commands.dashboard.site import SITE, Site, Visitor, user_error
from commands.dashboard.tables import csv_bytes, formatter, table_html


def _today(site: Site) -> date:
    """Today in the federation's time zone (`bot.timezone`)."""
    return site.now().astimezone(site.tz).date()


async def home(request: web.Request) -> web.Response:
    """Staff land on the overview; anyone else on the first page their rights open (a member:
    their own page, the last of the navigation)."""
    visitor = visitor_of(request)
    if visitor.access.is_staff:
        return await overview(request)
    return redirect(nav_for(request, visitor)[0][1])


async def _impact(request: web.Request, visitor: Visitor) -> tuple[Impact | None, str | None]:
    site = request.app[SITE]
    site.require_staff(visitor)
    group = request.query.get("group", "agency")
    if group not in GROUPS:
        group = "agency"
    tz = visitor.t.tz
    try:
        period = parse_period(request.query, _today(site), tz)
    except UserError as err:
        return None, user_error(visitor, err)
    return await gather(site.services, period, group, visitor.t), None


async def overview(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    impact, error = await _impact(request, visitor)
    site = request.app[SITE]
    period = impact.period if impact else presets(_today(site), visitor.t.tz)["this_month"]
    context = {
        "impact": impact,
        "error": error,
        "period": period,
        "group": impact.group if impact else "agency",
        "presets": presets(_today(site), visitor.t.tz),
        "svg": _svg(visitor),
        "figures": _figures(visitor, impact.group if impact else "agency"),
    }
    return await render(request, "overview.html", context, status=400 if error else 200)


def _svg(visitor: Visitor) -> Callable[[Chart], Markup]:
    def draw(chart: Chart) -> Markup:
        fmt = formatter(visitor.lang, chart.percent)
        return svg(chart, fmt, visitor.t("dashboard.chart.empty"))

    return draw


def _figures(visitor: Visitor, group: str) -> Callable[[Chart], Markup]:
    """A chart's table: its rows are agencies (or regions), or periods for a line chart."""

    def table(chart: Chart) -> Markup:
        first = visitor.t(f"dashboard.group.{'period' if chart.kind == 'lines' else group}")
        return table_html(chart, first, formatter(visitor.lang, chart.percent))

    return table


async def chart_csv(request: web.Request) -> web.Response:
    visitor = visitor_of(request)
    impact, error = await _impact(request, visitor)
    if impact is None:
        raise web.HTTPBadRequest(text=error or "")
    chart = impact.chart(request.match_info["chart"])
    if chart is None:
        raise web.HTTPNotFound()
    label = visitor.t(f"dashboard.group.{impact.group}")
    if chart.kind == "lines":
        label = visitor.t("dashboard.group.period")
    body = csv_bytes(chart, label, visitor.lang)
    name = f"fedbot-{chart.key}-{impact.period.start}-{impact.period.end}.csv"
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def report(request: web.Request) -> web.Response:
    """The monthly impact report, laid out to be printed (or saved as PDF by the browser)."""
    visitor = visitor_of(request)
    site = request.app[SITE]
    site.require_staff(visitor)
    today = _today(site)
    try:
        period: Period = parse_period(
            {"month": request.query.get("month") or today.strftime("%Y-%m")}, today, visitor.t.tz
        )
    except UserError as err:
        raise web.HTTPBadRequest(text=user_error(visitor, err)) from None
    group = request.query.get("group", "region")
    impact = await gather(site.services, period, group if group in GROUPS else "region", visitor.t)
    previous = month_of(period.start - timedelta(days=1), visitor.t.tz)
    context = {
        "impact": impact,
        "svg": _svg(visitor),
        "figures": _figures(visitor, impact.group),
        "previous": previous,
        "period": period,
    }
    return await render(request, "report.html", context)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/", home)
    router.add_get("/overview/{chart:[a-z]+}.csv", chart_csv)
    router.add_get("/report", report)
