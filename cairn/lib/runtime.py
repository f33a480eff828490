"""Process settings for a server worker (gunicorn imports `cairn.wsgi`, which calls these)."""

from __future__ import annotations

import gc

# Allocations between two young-generation collections (CPython's default is 700). A page
# that builds thousands of rows triggered a collection every few hundred objects: about a
# quarter of the alignment map's time at 10,000 objectives went to the garbage collector.
GC_THRESHOLD = (50_000, 20, 20)


def tune_gc() -> None:
    """Collect once, move everything loaded so far (Django, templates, URL patterns) out of
    the collector's sight for good, and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
