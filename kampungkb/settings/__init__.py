"""Settings package: ``kampungkb.settings`` is the development/test configuration,
``kampungkb.settings.production`` the secure overlay used behind gunicorn."""

from .base import *  # noqa: F403
