"""Trained model files shipped with the package (``scout_textcat/``: weights + meta)."""
