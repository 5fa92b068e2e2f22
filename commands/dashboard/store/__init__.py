"""dashboard feature storage: sign-in tokens and sessions (its public store API)."""
