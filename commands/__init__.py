"""Features: one folder each, declaring its commands, stores, migrations, jobs and demo data.

`FEATURES` is the one list of features, in the order the app registers them (and loads their
demo data); adding or removing a feature touches its folder and this list only.
"""

from __future__ import annotations

from bot.feature import Feature


def all_features() -> list[Feature]:
    from commands import agency, help, workspace
    from commands.announce import feature as announce
    from commands.dashboard import feature as dashboard
    from commands.digest import feature as digest
    from commands.events import feature as events
    from commands.faq import feature as faq
    from commands.match import feature as match
    from commands.profile import feature as profile

    return [
        help.FEATURE,
        agency.FEATURE,
        events.FEATURE,
        announce.FEATURE,
        digest.FEATURE,
        profile.FEATURE,
        match.FEATURE,
        faq.FEATURE,
        workspace.FEATURE,
        dashboard.FEATURE,
    ]
