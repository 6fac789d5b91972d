"""Storage for files that must not be served by the web server (evidence): a folder outside
the web root, read through views that check permissions."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """``settings.PRIVATE_MEDIA_ROOT``, read at each use (tests point it elsewhere); no URL."""

    def __init__(self, **kwargs):
        kwargs.pop("location", None)
        super().__init__(base_url=None, **kwargs)

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; a view serves them.")
