"""Services that write the movement's data. Each runs in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .bulk import chunks, fetch, insert_rows
from .errors import InvalidInput, WrongState
from .events import BoardMembersChanged, emit_on_commit
from .models import (
    BOARD_ROLES,
    PATH_SEPARATOR,
    AwardType,
    BoardMember,
    Commendation,
    Initiative,
    InitiativeStatus,
    InitiativeStatusChange,
    IssuerKind,
    IssuingBody,
    RecipientKind,
    SteeringBoard,
    Unit,
    UnitKind,
    User,
    path_step,
)
from .tallies import (
    initiative_tallies_deferred,
    initiative_tallies_follow,
    initiative_tallies_rebuild,
    initiative_tallies_set_status,
)


def compute_tree_paths(
    nodes: dict[int, int | None],
) -> tuple[dict[int, str], dict[int, int], list[int]]:
    """Paths and depths for ``{id: tree_parent_id}``; also the ids caught in a cycle.

    Pure function, so importers can check a tree before they write it.
    """
    paths: dict[int, str] = {}
    depths: dict[int, int] = {}
    cyclic: list[int] = []
    for start in nodes:
        if start in paths:
            continue
        chain: list[int] = []
        seen: set[int] = set()
        node: int | None = start
        while node is not None and node not in paths:
            if node in seen:
                cyclic.extend(chain[chain.index(node) :])
                break
            seen.add(node)
            chain.append(node)
            node = nodes.get(node)
        else:
            base = paths.get(node, "") if node is not None else ""
            base_depth = depths.get(node, -1) if node is not None else -1
            for offset, item in enumerate(reversed(chain)):
                base = base + path_step(item)
                paths[item] = base
                depths[item] = base_depth + offset + 1
            continue
        # A cycle: give its members (and what hangs below them) no path.
        for item in chain:
            paths.setdefault(item, "")
            depths.setdefault(item, 0)
    return paths, depths, sorted(set(cyclic))


@transaction.atomic
def units_rebuild_paths() -> int:
    """Recompute every unit's materialised path; returns how many rows changed.

    Writes with one prepared UPDATE executed many times: ``bulk_update`` builds a CASE
    expression per row, which takes minutes for 100,000 new units.
    """
    rows = list(Unit.objects.values_list("id", "parent_id", "successor_id", "path", "depth"))
    paths, depths, cyclic = compute_tree_paths(
        {pk: (successor or parent) for pk, parent, successor, _p, _d in rows}
    )
    if cyclic:
        raise InvalidInput(_("The unit tree has a cycle."))
    changed = [
        (paths[pk], depths[pk], pk)
        for pk, _parent, _successor, path, depth in rows
        if (paths[pk], depths[pk]) != (path, depth)
    ]
    # A unit that had a place in the tree and moves; a new one (no path yet) counts nothing.
    moved = any(path and paths[pk] != path for pk, _parent, _successor, path, _d in rows)
    table = connection.ops.quote_name(Unit._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET path = %s, depth = %s WHERE id = %s", changed)
    if moved:
        # The tallies count each initiative in the units above its owner.
        initiative_tallies_rebuild()
    return len(changed)


@transaction.atomic
def unit_create(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None = None,
    successor: Unit | None = None,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> Unit:
    unit = Unit.objects.create(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        successor=successor,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    tree_parent = successor or parent
    unit.path = (tree_parent.path if tree_parent else "") + path_step(unit.pk)
    unit.depth = (tree_parent.depth + 1) if tree_parent else 0
    unit.save(update_fields=["path", "depth"])
    return unit


@transaction.atomic
def unit_merge(*, unit: Unit, successor: Unit, valid_to: dt.date) -> Unit:
    """Record that ``unit`` was merged into ``successor`` on ``valid_to``.

    The unit and its subtree move under the successor, so the successor's board sees its
    initiatives; the unit keeps its own name for the decisions issued under it.
    """
    if successor.is_in_subtree_of(unit):
        raise InvalidInput(_("A unit cannot be merged into a unit below it."))
    unit.successor = successor
    unit.valid_to = valid_to
    unit.save(update_fields=["successor", "valid_to"])
    units_rebuild_paths()
    unit.refresh_from_db()
    return unit


def initiative_record_status(
    *,
    initiative: Initiative,
    to_status: str,
    actor: User | None,
    reason: str = "",
    source: str = "",
    at: dt.datetime | None = None,
) -> InitiativeStatusChange:
    """Set the status and append the history line. Callers check the transition first and
    hold the transaction (and the row lock) around this call."""
    from_status = initiative.status
    if to_status not in InitiativeStatus.values:
        raise InvalidInput(_("Unknown status: %(status)s") % {"status": to_status})
    initiative.status = to_status
    # The status, and a recognition's history line, are counted in the tallies.
    with initiative_tallies_follow(
        initiative_ids=[initiative.pk], recognitions=to_status == InitiativeStatus.RECOGNISED
    ):
        initiative.save(update_fields=["status", "updated_at"])
        return InitiativeStatusChange.objects.create(
            initiative=initiative,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            reason=reason,
            source=source,
            at=at or timezone.now(),
        )


# --- board members --------------------------------------------------------------------------


def board_members_changed(*, board_ids) -> None:
    """Announce that these boards' members changed (whoever wrote them: a service below,
    the admin, an import), so that evaluation tasks follow."""
    for board_id in sorted(set(board_ids)):
        emit_on_commit(BoardMembersChanged(board_id=board_id))


@transaction.atomic
def board_member_add(*, board: SteeringBoard, user: User, role: str) -> BoardMember:
    """Seat ``user`` on ``board`` with ``role`` (once per role)."""
    if role not in [r.value for r in BOARD_ROLES]:
        raise InvalidInput(_("Unknown board role: %(role)s") % {"role": role})
    member, created = BoardMember.objects.get_or_create(board=board, user=user, role=role)
    if created:
        board_members_changed(board_ids=[board.pk])
    return member


@transaction.atomic
def board_member_remove(*, board: SteeringBoard, user: User, role: str | None = None) -> int:
    """Take ``user``'s seats (of ``role``, or all) off ``board``; returns how many."""
    seats = BoardMember.objects.filter(board=board, user=user)
    if role is not None:
        seats = seats.filter(role=role)
    removed, _by_model = seats.delete()
    if removed:
        board_members_changed(board_ids=[board.pk])
    return removed


@transaction.atomic
def board_quorum_set(*, board: SteeringBoard, quorum: int) -> SteeringBoard:
    """How many evaluations the board needs before evaluation can close (at least 1)."""
    if not isinstance(quorum, int) or isinstance(quorum, bool) or not (1 <= quorum <= 50):
        raise InvalidInput(_("The quorum must be a whole number from 1 to 50."))
    locked = SteeringBoard.objects.select_for_update().get(pk=board.pk)
    if locked.quorum != quorum:
        locked.quorum = quorum
        locked.save(update_fields=["quorum"])
        board_members_changed(board_ids=[board.pk])
    return locked


# --- Commendations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCommendation:
    """One award event (lượt) to record: who, which award, by which decision.

    Ids rather than model instances, so that a bulk writer (a decision, an import of
    100,000 rows) need not load the rows it points to.
    """

    award: str
    recipient_kind: str
    recipient_name: str
    unit_id: int
    issuer_id: int
    decision_number: str
    decision_date: dt.date
    citation: str = ""
    phase_id: int | None = None
    initiative_id: int | None = None

    @property
    def key(self) -> tuple:
        """The natural key of ``Commendation`` (its unique constraint)."""
        return (
            self.issuer_id,
            self.decision_number,
            self.decision_date,
            self.recipient_kind,
            self.recipient_name,
            self.unit_id,
        )


# How many decision numbers one "already recorded?" query looks up.
_KEY_LOOKUP_CHUNK = 1000


def _recorded_keys(commendations: Sequence[NewCommendation]) -> set[tuple]:
    numbers = sorted({c.decision_number for c in commendations})
    issuers = {c.issuer_id for c in commendations}
    found: set[tuple] = set()
    for start in range(0, len(numbers), _KEY_LOOKUP_CHUNK):
        found.update(
            Commendation.objects.filter(
                issuer_id__in=issuers,
                decision_number__in=numbers[start : start + _KEY_LOOKUP_CHUNK],
            ).values_list(
                "issuer_id",
                "decision_number",
                "decision_date",
                "recipient_kind",
                "recipient_name",
                "unit_id",
            )
        )
    return found


@transaction.atomic
def commendations_record(
    *, commendations: Sequence[NewCommendation], batch_size: int = 1000
) -> list[Commendation]:
    """Record award events, in the order given; returns the new rows with their ids.

    The one writer of new ``Commendation`` rows: a commendation decision (documents) calls
    it with the decision's number and date. Every row is checked before any is written; an
    event given twice, or already recorded under the same natural key, is refused.
    """
    seen: set[tuple] = set()
    for item in commendations:
        if item.award not in AwardType.values:
            raise InvalidInput(_("Unknown award: %(award)s") % {"award": item.award})
        if item.recipient_kind not in RecipientKind.values:
            raise InvalidInput(
                _("Unknown recipient kind: %(kind)s") % {"kind": item.recipient_kind}
            )
        if not item.recipient_name.strip():
            raise InvalidInput(_("A commendation needs the recipient's name."))
        if not item.decision_number.strip() or item.decision_date is None:
            raise InvalidInput(_("A commendation needs its decision's number and date."))
        if item.key in seen:
            raise InvalidInput(_("%(name)s is listed twice.") % {"name": item.recipient_name})
        seen.add(item.key)
    if not commendations:
        return []
    recorded = _recorded_keys(commendations)
    for item in commendations:
        if item.key in recorded:
            raise WrongState(
                _("%(name)s is already commended by decision %(number)s.")
                % {"name": item.recipient_name, "number": item.decision_number}
            )
    # PostgreSQL and SQLite (3.35+) return the new ids from one INSERT per batch.
    return Commendation.objects.bulk_create(
        [
            Commendation(
                award=item.award,
                recipient_kind=item.recipient_kind,
                recipient_name=item.recipient_name,
                unit_id=item.unit_id,
                issuer_id=item.issuer_id,
                decision_number=item.decision_number,
                decision_date=item.decision_date,
                citation=item.citation,
                phase_id=item.phase_id,
                initiative_id=item.initiative_id,
            )
            for item in commendations
        ],
        batch_size=batch_size,
    )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One change of a bulk status write: ``from_status`` is "" for an initiative that
    begins its history (a new or imported one); ``at``, when given, dates this line
    instead of the call's moment (a historic record)."""

    initiative_id: int
    from_status: str
    to_status: str
    at: dt.datetime | None = None


# History lines written per statement; a batch's prepared rows stay in memory at once.
STATUS_BATCH = 5_000


@transaction.atomic
def initiative_statuses_record_bulk(
    *,
    changes: Iterable[StatusChange],
    actor: User | None,
    reason: str = "",
    source: str = "",
    at: dt.datetime | None = None,
) -> int:
    """``initiative_record_status`` for many initiatives: set each one's status and append
    one history line per change, in batches (COPY on PostgreSQL); returns the lines written.

    An initiative may appear several times (a historic path, in order): it ends in the
    status of its last change. A change from "" begins a history: the initiative was just
    created in that status, which is therefore not written again (an import of 100,000 new
    initiatives would otherwise read them all back). ``at`` (default now) dates the lines
    and is the changed initiatives' ``updated_at``. Callers check the transitions first and
    hold the transaction (and the rows' locks) around this call.
    """
    at = at or timezone.now()
    allowed = set(InitiativeStatus.values)
    written = 0
    batch: list[StatusChange] = []
    # The batches' tally differences are written once, at the end.
    with initiative_tallies_deferred():
        for change in changes:
            # "" only as the start of a history.
            unknown = {change.from_status or InitiativeStatus.REGISTERED, change.to_status}
            unknown -= allowed
            if unknown:
                raise InvalidInput(_("Unknown status: %(status)s") % {"status": unknown.pop()})
            batch.append(change)
            if len(batch) == STATUS_BATCH:
                written += _record_statuses(batch, actor=actor, reason=reason, source=source, at=at)
                batch = []
        if batch:
            written += _record_statuses(batch, actor=actor, reason=reason, source=source, at=at)
    return written


def _record_statuses(
    batch: list[StatusChange], *, actor: User | None, reason: str, source: str, at: dt.datetime
) -> int:
    last: dict[int, StatusChange] = {}
    for change in batch:
        last[change.initiative_id] = change
    by_status: dict[str, list[int]] = {}
    for initiative_id, change in last.items():
        if change.from_status:  # a history's first line: the row was created in this status
            by_status.setdefault(change.to_status, []).append(initiative_id)
    # The statuses, and recognitions' history lines (new initiatives' too), are counted in
    # the tallies.
    recognising = [c.initiative_id for c in batch if c.to_status == InitiativeStatus.RECOGNISED]
    with initiative_tallies_follow(initiative_ids=recognising, statuses=False):
        for status, ids in by_status.items():
            with initiative_tallies_set_status(initiative_ids=ids, status=status):
                for chunk in chunks(ids):
                    Initiative.objects.filter(pk__in=chunk).exclude(status=status).update(
                        status=status, updated_at=at
                    )
        return insert_rows(
            InitiativeStatusChange,
            ("initiative", "from_status", "to_status", "at"),
            ((c.initiative_id, c.from_status, c.to_status, c.at or at) for c in batch),
            constants={"actor": actor.pk if actor else None, "reason": reason, "source": source},
        )


# --- Issuing bodies -----------------------------------------------------------------------

# Units named after an administrative level ("Xã Chu Trinh"): where a body sits for the
# place line of its documents. Hamlets, agencies and party organisations are not.
ADMINISTRATIVE_KINDS = (UnitKind.COMMUNE, UnitKind.DISTRICT, UnitKind.PROVINCE)
_LEVEL_WORDS = sorted(
    ("tỉnh", "thành phố", "huyện", "quận", "thị xã", "xã", "phường", "thị trấn", "đặc khu"),
    key=len,
    reverse=True,
)


def place_name(unit_name: str) -> str:
    """The place a unit's documents are dated at: Decree 30/2020/NĐ-CP (Appendix I) writes
    the administrative unit's own name without its level ("Xã Chu Trinh" → "Chu Trinh",
    "Huyện Hòa An" → "Hòa An"), and in full when that name is a number ("Phường 12")."""
    folded = unit_name.casefold()
    for word in _LEVEL_WORDS:
        if folded.startswith(word + " "):
            rest = unit_name[len(word) + 1 :].strip()
            return unit_name if not rest or rest.isdigit() else rest
    return unit_name


def _path_ids(path: str) -> list[int]:
    """The ids on a materialised path, the root first."""
    return [int(step, 16) for step in path.split(PATH_SEPARATOR) if step]


def _name_with_code(name: str, code: str) -> str:
    """A body's name told apart by its unit's code, within the column's length."""
    room = IssuingBody._meta.get_field("name").max_length - len(code) - 3
    return f"{name[:room]} ({code})"


@transaction.atomic
def board_issuing_bodies_create(
    *, boards: Sequence[SteeringBoard], chair_names: Mapping[int, str] | None = None
) -> list[IssuingBody]:
    """Give each board whose unit has no issuing body of kind steering board one, so that
    its recognition decisions can be issued (``workflows.services.recognition_issuer``)
    and print right with ``documents``' defaults. ``chair_names`` maps a unit's id to its
    board chair's full name, the signer.

    What it prints: the header "BAN CHỈ ĐẠO / XÃ HỒNG VIỆT" (the body, then its unit, as
    "ỦY BAN NHÂN DÂN / TỈNH CAO BẰNG"; a steering board's authority line is the header
    joined, "BAN CHỈ ĐẠO XÃ HỒNG VIỆT"), the number suffix BCĐ, the place of the nearest
    administrative unit at or above the board's (``place_name``), signed "TM. BAN CHỈ ĐẠO /
    TRƯỞNG BAN" (a collective body signs for the board).
    """
    chair_names = chair_names or {}
    covered = set(
        IssuingBody.objects.filter(
            unit_id__in=[board.unit_id for board in boards], kind=IssuerKind.STEERING_BOARD
        ).values_list("unit_id", flat=True)
    )
    boards = [board for board in boards if board.unit_id not in covered]
    if not boards:
        return []
    units: dict[int, Unit] = {}
    for chunk in chunks(sorted({board.unit_id for board in boards})):
        units.update(
            (u.pk, u) for u in Unit.objects.filter(pk__in=chunk).only("code", "name", "path")
        )
    above = {pk for unit in units.values() for pk in _path_ids(unit.path)}
    seats = dict(
        fetch(Unit.objects.filter(kind__in=ADMINISTRATIVE_KINDS), "id", above, "id", "name")
    )
    codes = set(IssuingBody.objects.filter(code__startswith="bcd-").values_list("code", flat=True))
    wanted = {board.name for board in boards}
    wanted |= {_name_with_code(board.name, units[board.unit_id].code) for board in boards}
    names = {name for (name,) in fetch(IssuingBody.objects, "name", wanted, "name")}
    code_length = IssuingBody._meta.get_field("code").max_length
    bodies = []
    for board in boards:
        unit = units[board.unit_id]
        # slugify drops đ, which has no decomposition: it reads d in a code.
        base = slugify(unit.code.replace("đ", "d").replace("Đ", "D"))
        base = f"bcd-{base}"[: code_length - 4].strip("-")
        code, number = base, 1
        while code in codes:
            number += 1
            code = f"{base}-{number}"
        name = board.name
        if name in names:  # boards of two units with the same name (Xã Hưng Đạo)
            name = _name_with_code(board.name, unit.code)
        codes.add(code)
        names.add(name)
        seat = next((seats[pk] for pk in reversed(_path_ids(unit.path)) if pk in seats), unit.name)
        bodies.append(
            IssuingBody(
                code=code,
                name=name,
                kind=IssuerKind.STEERING_BOARD,
                unit_id=board.unit_id,
                abbreviation="BCĐ",
                header=f"BAN CHỈ ĐẠO\n{unit.name.upper()}",
                place=place_name(seat),
                signing_authority="TM. BAN CHỈ ĐẠO",
                signer_title="TRƯỞNG BAN",
                signer_name=chair_names.get(board.unit_id, ""),
            )
        )
    created = IssuingBody.objects.bulk_create(bodies)
    _issuer_defaults(created)
    return created


def _issuer_defaults(bodies: Sequence[IssuingBody]) -> None:
    """New bodies start with the default legal bases of their kind (documents owns them)."""
    from documents.services import legal_bases_create_defaults

    legal_bases_create_defaults(issuers=[body for body in bodies if body.pk])
