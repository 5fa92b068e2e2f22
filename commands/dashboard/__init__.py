"""The web dashboard: staff and moderators' pages under /admin on the bot's HTTP server
(docs/dashboard.md)."""
