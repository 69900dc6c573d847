"""Public pages, kept until the data change: a rendered page is valid for one data version.

A public page shows only data, and the data version (the last create, update
or delete in the audit chain) moves with every change, so a page rendered at
one version, on one day, is the page for every anonymous reader until then.
Serving it again costs one primary-key lookup instead of the page's queries,
charts and template. Signed-in users get their own pages (navigation, manage
links) and are never served from, or stored in, the cache.

The cache is in each server process's memory, bounded by
``PUBLIC_PAGE_CACHE_ENTRIES`` pages (least recently used go first); 0 turns it
off. A page's form tokens (CSRF) belong to one reader's session, so they are
stored as a placeholder and filled in for each reader.
"""

import threading
from collections import OrderedDict
from functools import wraps

from flask import current_app, g, make_response, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from pptracker.database import today
from pptracker.reports import version

#: Stands in a stored page for the reader's CSRF token (never in real output).
PLACEHOLDER = "\x00csrf-token\x00"


class PageCache:
    """A thread-safe LRU of rendered pages: key → (body, mimetype)."""

    def __init__(self, entries: int):
        self.entries = entries
        self._pages: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key, page) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.entries:
                self._pages.popitem(last=False)


def _cache() -> PageCache | None:
    entries = current_app.config.get("PUBLIC_PAGE_CACHE_ENTRIES", 0)
    if entries <= 0:
        return None
    cache = current_app.extensions.get("pptracker.pagecache")
    if cache is None:
        cache = current_app.extensions["pptracker.pagecache"] = PageCache(entries)
    return cache


def memo(name: str, entries: int, key, compute):
    """Return ``compute()``, kept per process under ``(name, key)``, at most ``entries`` keys.

    For figures every reader shares (signed in or not) that depend only on
    ``key``, e.g. the data version and the date.
    """
    store = current_app.extensions.get(f"pptracker.memo.{name}")
    if store is None:
        store = current_app.extensions[f"pptracker.memo.{name}"] = PageCache(entries)
    value = store.get(key)
    if value is None:
        value = compute()
        store.put(key, value)
    return value


def _for_anyone() -> bool:
    # A message flashed to this reader (after sending feedback, say) makes the
    # page theirs alone.
    return (
        request.method == "GET" and not current_user.is_authenticated and "_flashes" not in session
    )


def cached_page(view):
    """Serve an anonymous GET of ``view`` from the cache while the data are unchanged."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        cache = _cache()
        if cache is None or not _for_anyone():
            return view(*args, **kwargs)
        key = (request.full_path, version.current().seq, today())
        page = cache.get(key)
        if page is not None:
            body, mimetype = page
            if PLACEHOLDER in body:
                body = body.replace(PLACEHOLDER, generate_csrf())
            return current_app.response_class(body, mimetype=mimetype)
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not response.direct_passthrough:
            body = response.get_data(as_text=True)
            token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
            if token:
                body = body.replace(token, PLACEHOLDER)
            cache.put(key, (body, response.mimetype))
        return response

    return wrapped
