"""Counting the queries of one page view, for the tests that pin query counts."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from villages.boundaries import payload


def count_queries(client, url) -> int:
    """Queries of one GET of ``url`` (a streamed body is read to its end), in the worst
    case: with no cached panel (reports/site_panels.py), so that a count does not depend on
    which page was opened before."""
    cache.clear()
    # The maps' boundaries are built once per installation (villages.boundaries.payload),
    # not per page: kept out of a page's count.
    payload()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)
