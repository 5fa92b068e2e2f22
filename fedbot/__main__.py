"""`python -m fedbot` is the same as the `fedbot` command."""

from fedbot.cli import main

raise SystemExit(main())
