"""The demo portfolio: realistic PPP projects to explore pptracker with."""
