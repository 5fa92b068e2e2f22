"""faq feature storage: tables and repositories (its public store API)."""
