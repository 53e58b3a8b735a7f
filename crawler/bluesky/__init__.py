"""Bluesky: JSON parsing (``parse``); the atproto collector lives beside it."""
