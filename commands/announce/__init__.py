"""Announcements from federation staff to every agency channel (see feature.py)."""
