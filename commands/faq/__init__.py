"""The FAQ feature (issue #6). Its declaration is in `commands.faq.feature`.

This file stays empty on purpose: the storage layer imports the pure retrieval engine
(`commands.faq.retrieval`), and importing a submodule runs this file first, so nothing here may
pull in the handlers (which import the services, which import the storage).
"""
