"""Features: one folder each, declaring its commands, stores, migrations, jobs and demo data.

`FEATURES` is the one list of features, in the order the app registers them (and loads their
demo data); adding or removing a feature touches its folder and this list only.
"""

from __future__ import annotations

from bot.feature import Feature


def all_features() -> list[Feature]:
    from commands import agency, announce, digest, events, help, match, profile, workspace
    from commands.faq import feature as faq

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
    ]
