"""Feedback from the public on a project or milestone: moderation and public replies."""
