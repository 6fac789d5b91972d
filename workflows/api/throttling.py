"""The API's throttles: DRF's, counting in the ``throttle`` cache (Redis in production, so
every web process shares the counts). Over the rate DRF answers 429 with ``Retry-After``."""

from __future__ import annotations

from django.core.cache import caches
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _SettingsRate:
    """The rate read from the settings on each request (DRF binds it at import)."""

    @property
    def cache(self):
        return caches["throttle"]

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class AnonThrottle(_SettingsRate, AnonRateThrottle):
    pass


class UserThrottle(_SettingsRate, UserRateThrottle):
    pass
