"""Matching members who share project interests, and coffee-chat rounds (see feature.py)."""
