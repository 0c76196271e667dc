"""Sending tasks to the worker without letting a broker outage break a request.

A change a user saves must not fail because Redis is down: the row is committed, and
the task is either done here and now (derived data, :func:`enqueue_or_run`: slower, but
nothing is lost) or logged as not queued (e-mail: the inbox holds the message; a job is
marked failed).
"""

from __future__ import annotations

import functools
import logging

from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

try:  # redis-py's errors, when the broker is Redis and kombu lets one through
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    BROKER_ERRORS = (OperationalError, RedisConnectionError, RedisTimeoutError, OSError)
except ImportError:  # pragma: no cover - celery[redis] is a dependency
    BROKER_ERRORS = (OperationalError, OSError)


def enqueue(task, *args, **kwargs):
    """``task.delay(*args, **kwargs)``; when the broker cannot be reached, log a warning
    and return ``None`` instead of raising. Without a broker (development, tests) the task
    runs here and now, and its own errors propagate as before."""
    try:
        return task.apply_async(args, kwargs)
    except BROKER_ERRORS as exc:
        if task.app.conf.task_always_eager:
            raise  # the task itself failed with an OSError: not a broker outage
        logger.warning("Task %s not queued (broker unreachable: %s)", task.name, exc)
        return None


def enqueue_or_run(task, *args, **kwargs):
    """:func:`enqueue`, or run the task in this process when the broker is down."""
    if enqueue(task, *args, **kwargs) is None:
        logger.warning("Running %s in the web process instead", task.name)
        task(*args, **kwargs)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` once the current transaction commits (nothing if it rolls back), so
    the worker reads what was committed."""
    transaction.on_commit(functools.partial(enqueue, task, *args, **kwargs))
