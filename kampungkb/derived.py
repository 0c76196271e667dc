"""A switch for signal handlers that maintain *derived* data (e.g. the monthly quality
rows of ``reports``): off while an archive is restored, because the archive already holds
the derived rows exactly as they were, and recomputing them would change them."""

import contextlib
from contextvars import ContextVar

_paused: ContextVar[bool] = ContextVar("derived_data_paused", default=False)


def is_paused() -> bool:
    return _paused.get()


@contextlib.contextmanager
def paused():
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)
