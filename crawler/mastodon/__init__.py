"""Mastodon: JSON parsing (``parse``)."""
