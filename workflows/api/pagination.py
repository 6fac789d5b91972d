"""The API's page-number pagination, without the COUNT query when it adds nothing."""

from __future__ import annotations

from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination


class FirstPageCountingPaginator(Paginator):
    """Django's paginator, except that a first page holding the whole list is counted from
    its own rows: most users' lists fit on one page, and the COUNT (its SQL compiled over
    the list's whole query) cost as much as reading them."""

    def page(self, number):
        if str(number) == "1" and not self.orphans:
            rows = list(self.object_list[: self.per_page + 1])
            if len(rows) <= self.per_page:
                self.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
                return self._get_page(rows, 1, self)
        return super().page(number)


class Pagination(PageNumberPagination):
    django_paginator_class = FirstPageCountingPaginator
