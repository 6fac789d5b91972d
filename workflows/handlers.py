"""How the lifecycle reacts to events (the notices are ``notifications.handlers``)."""

from __future__ import annotations

from core.events import BoardMembersChanged, handles

from . import services


@handles(BoardMembersChanged)
def evaluation_tasks_follow_members(event: BoardMembersChanged) -> None:
    """A member who joined gets the evaluation tasks of the reports the board is evaluating;
    one who left loses theirs."""
    services.evaluation_tasks_sync(board_id=event.board_id)
