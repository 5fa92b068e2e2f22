"""Member profiles: interests, consent, export and erasure (the declaration is in feature.py)."""
