"""Assertions shared by the lifecycle tests."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from core.models import Initiative, InitiativeStatusChange


@contextmanager
def refused(error: type[Exception], message: str | None = None, *initiatives: Initiative):
    """The block raises ``error`` (with exactly ``message`` when given) and leaves each
    initiative's status and history as they were."""
    before = {
        initiative.pk: (
            Initiative.objects.get(pk=initiative.pk).status,
            InitiativeStatusChange.objects.filter(initiative=initiative).count(),
        )
        for initiative in initiatives
    }
    with pytest.raises(error) as caught:
        yield caught
    if message is not None:
        assert str(caught.value) == message
    after = {
        initiative.pk: (
            Initiative.objects.get(pk=initiative.pk).status,
            InitiativeStatusChange.objects.filter(initiative=initiative).count(),
        )
        for initiative in initiatives
    }
    assert after == before


def history(initiative: Initiative) -> list[tuple[str, str]]:
    return list(
        InitiativeStatusChange.objects.filter(initiative=initiative)
        .order_by("at", "pk")
        .values_list("from_status", "to_status")
    )
