"""The home page and other site-wide pages."""

from pptracker.main.views import bp

__all__ = ["bp"]
