"""The app as ``make bench`` serves it with gunicorn, plus a bare route for that run only.

The app comes from ``create_app()`` as in ``wsgi.py`` (settings from the
environment); ``/__bare`` is the reference every page is compared with in the
same run. Production has no such route.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `config` and `pptracker`

from pptracker import create_app  # noqa: E402
from pptracker.permissions import public  # noqa: E402

app = create_app(instance_path=os.environ.get("BENCH_INSTANCE"))


@app.get("/__bare")
@public
def bare():
    return "ok"
