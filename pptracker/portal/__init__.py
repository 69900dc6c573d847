"""The public site: the dashboard, the project list and the public project page.

It only reads, and only what the public may see: every query starts from
``queries.published()``.
"""
