"""Transports: Telegram and the console translate to ``Incoming`` and from ``Reply``; no rules."""
