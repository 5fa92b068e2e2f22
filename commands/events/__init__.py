"""Events: create, list, RSVP, reminders, calendar export (the declaration is in feature.py)."""
