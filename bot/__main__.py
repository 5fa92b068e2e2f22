"""`python -m bot` is the same as the `fedbot` command."""

from bot.cli import main

raise SystemExit(main())
