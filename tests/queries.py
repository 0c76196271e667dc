"""Counting the queries of one page view, for the tests that pin query counts."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url) -> int:
    """Queries of one GET of ``url`` (a streamed body is read to its end), in the worst
    case: with no cached panel (reports/site_panels.py), so that a count does not depend on
    which page was opened before."""
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)
