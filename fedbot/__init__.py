"""The composition root: the `fedbot` command wires the core, the features and the adapters.

`bot/` (the core) names no feature and no adapter; this package is the one place that does.
"""
