"""Storage: the anonymised event log and per-child profiles (SQLite or PostgreSQL)."""
