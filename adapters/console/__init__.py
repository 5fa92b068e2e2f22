"""The console adapter: the embedded default, a terminal REPL or a line-per-command script."""
