"""File storage for uploads that must never be reachable by URL (activity photo evidence).

Files go under ``settings.PRIVATE_MEDIA_ROOT``, outside ``MEDIA_ROOT``; the storage has no
base URL, so ``file.url`` raises instead of leaking a public path. Scoped views stream the
files after checking the user's scope.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    # Read the setting on every access (not cached), so tests can point it elsewhere.
    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


_private = PrivateStorage()


def private_storage():
    """The storage of private uploads (a callable, so migrations reference it by name)."""
    return _private
