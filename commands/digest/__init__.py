"""Scheduled digests that moderators configure per channel (the declaration is in feature.py)."""
