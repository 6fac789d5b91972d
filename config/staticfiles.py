"""Static files storage: gzip copies that whitenoise serves, made once per file.

``./dvk run`` runs collectstatic at every start. Whitenoise's own storage recompresses every
file each time, with brotli at its highest quality, which takes minutes for viewflow's
assets on a small machine; gzip alone, for new or changed files only, takes seconds.
"""

from __future__ import annotations

import os
from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage


class GzipStaticFilesStorage(CompressedStaticFilesStorage):
    def create_compressor(self, **kwargs: Any) -> Compressor:
        return Compressor(use_brotli=False, **kwargs)

    def _compressed_copy_is_current(self, path: str) -> bool:
        # Whitenoise gives the .gz file its source's modification time.
        try:
            return os.stat(self.path(path) + ".gz").st_mtime == os.stat(self.path(path)).st_mtime
        except FileNotFoundError:
            return False

    def post_process(self, paths: dict[str, Any], dry_run: bool = False, **options: Any):
        stale = {p: v for p, v in paths.items() if not self._compressed_copy_is_current(p)}
        yield from super().post_process(stale, dry_run=dry_run, **options)
