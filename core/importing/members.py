"""``import_members``: ``username, full_name, email, unit_code, role[, password]``.

A board role (chair, deputy, member, secretary) on a unit without a steering board creates
the board, and with it the board's own issuing body, so that its recognition decisions can
be issued straight away (``services.board_issuing_bodies_create``).

Existing accounts: their name, email and unit follow the file, and every account that
changes is listed (the dry run lists what would change); their password stays unless
``--update-passwords``; a superuser is never changed by an import, nor given roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import services
from core.bulk import chunks, fetch
from core.models import BOARD_ROLES, BoardMember, Role, SteeringBoard, Unit, UnitRole, User

from .base import Column, Importer, Outcome, Row, max_length, missing_unit, repeated_row
from .resolvers import unit_ids
from .text import cell_text
from .vocabularies import ROLES


@dataclass(slots=True)
class MemberRecord:
    line: int
    username: str
    full_name: str
    email: str
    unit_code: str
    role: str | None
    password: str


@dataclass(frozen=True, order=True, slots=True)
class Seat:
    """A role a user holds on a unit (on its board for a board role)."""

    unit_id: int
    username: str
    role: str


class MemberImporter(Importer):
    columns = (
        Column("username", ("tên đăng nhập", "tài khoản")),
        Column("full_name", ("họ và tên", "họ tên")),
        Column("email", ("thư điện tử", "địa chỉ email")),
        Column("unit_code", ("mã đơn vị",)),
        Column("role", ("vai trò",)),
        Column("password", ("mật khẩu",), required=False),
    )
    summary = gettext_lazy(
        "Imported %(total)d users: %(created)d new, %(updated)d updated, %(unchanged)d unchanged."
    )
    dry_run_summary = gettext_lazy(
        "The file is valid: %(total)d users, %(created)d would be new, %(updated)d updated, "
        "%(unchanged)d unchanged."
    )

    def __init__(self, *, source_name: str, limits=None, update_passwords: bool = False) -> None:
        super().__init__(source_name=source_name, limits=limits)
        self.update_passwords = update_passwords

    def parse(self, row: Row) -> MemberRecord:
        username = row.text("username", required=True, max_length=max_length(User, "username"))
        email = row.text("email", max_length=max_length(User, "email"))
        password = cell_text(row.cells.get("password"))
        checks = (
            ("username", username, User.username_validator),
            ("email", email, validate_email),
            ("password", password, validate_password),
        )
        for column, value, validate in checks:
            try:
                if value:
                    validate(value)
            except ValidationError as exc:
                row.error(column, " ".join(exc.messages))
        return MemberRecord(
            line=row.line,
            username=username,
            full_name=row.text(
                "full_name", required=True, max_length=max_length(User, "full_name")
            ),
            email=email,
            unit_code=row.text("unit_code", required=True),
            role=row.choice("role", ROLES),
            password=password,
        )

    def prepare(self, records: list[MemberRecord]) -> Outcome:
        self.duplicates(
            records,
            lambda r: (r.username, r.unit_code, r.role) if r.username and r.role else None,
            "role",
            repeated_row,
        )
        users = self._first_rows(records)
        self.unit_ids = unit_ids(r.unit_code for r in records if r.unit_code)
        for record in records:
            if record.unit_code and record.unit_code not in self.unit_ids:
                self.error(record.line, "unit_code", missing_unit(record.unit_code))
        outcome = self._plan_users(users)
        known = [
            r
            for r in records
            if r.role
            and r.username
            and r.unit_code in self.unit_ids
            and r.username not in self.superusers
        ]
        wanted = {Seat(self.unit_ids[r.unit_code], r.username, r.role) for r in known}
        self.new_seats = sorted(wanted - self._current_seats())
        # The signer printed on a new board's decisions: the first chair the file names.
        self.chair_names: dict[int, str] = {}
        for record in known:
            if record.role == Role.CHAIR:
                self.chair_names.setdefault(self.unit_ids[record.unit_code], record.full_name)
        outcome.notes.append(_("New roles: %(count)d.") % {"count": len(self.new_seats)})
        return outcome

    def _first_rows(self, records: list[MemberRecord]) -> dict[str, MemberRecord]:
        """First row of each user. Later rows add roles; they may leave the email and the
        password blank, but must not say something else."""
        first: dict[str, MemberRecord] = {}
        for record in records:
            seen = first.setdefault(record.username, record) if record.username else record
            for column in ("full_name", "email", "password"):
                value = getattr(record, column)
                if value and not getattr(seen, column):
                    setattr(seen, column, value)
                elif value and value != getattr(seen, column):
                    self.error(
                        record.line,
                        column,
                        _("differs from line %(line)d for the same user") % {"line": seen.line},
                    )
        return first

    def _plan_users(self, users: dict[str, MemberRecord]) -> Outcome:
        outcome = Outcome()
        self.new_users: list[MemberRecord] = []
        self.changed_users: list[User] = []
        self.user_ids: dict[str, int] = {}
        self.superusers: set[str] = set()
        changes: list[str] = []
        kept_passwords: list[str] = []
        for chunk in chunks(sorted(users)):
            for user in User.objects.filter(username__in=chunk).select_related("unit"):
                record = users[user.username]
                if user.is_superuser:
                    # The operator's account is changed by the operator, never by a file.
                    self.superusers.add(user.username)
                    outcome.notes.append(
                        _("Line %(line)d: %(username)s is a superuser; left unchanged.")
                        % {"line": record.line, "username": user.username}
                    )
                    continue
                self.user_ids[user.username] = user.pk
                wanted = {
                    "full_name": record.full_name,
                    "email": record.email,
                    "unit_id": self.unit_ids.get(record.unit_code),
                }
                changed = [name for name, value in wanted.items() if getattr(user, name) != value]
                # Hashing is slow by design: only a password that differs is set again.
                if record.password and not check_password(record.password, user.password):
                    if self.update_passwords:
                        user.set_password(record.password)
                        changed.append("password")
                    else:
                        kept_passwords.append(user.username)
                if changed:
                    changes.append(
                        _("Line %(line)d: %(username)s: %(fields)s")
                        % {
                            "line": record.line,
                            "username": user.username,
                            "fields": ", ".join(
                                self._change(name, user, wanted.get(name)) for name in changed
                            ),
                        }
                    )
                    for name, value in wanted.items():
                        setattr(user, name, value)
                    self.changed_users.append(user)
        outcome.updated = len(self.changed_users)
        outcome.unchanged = len(self.user_ids) - outcome.updated
        self.new_users = [
            r
            for name, r in users.items()
            if name not in self.user_ids and name not in self.superusers
        ]
        outcome.created = len(self.new_users)
        if changes:
            outcome.notes.append(_("Existing accounts changed:"))
            outcome.notes.extend(f"  {line}" for line in changes)
        if kept_passwords:
            outcome.notes.append(
                _(
                    "Passwords kept (the file gives another one; --update-passwords sets "
                    "it): %(usernames)s."
                )
                % {"usernames": ", ".join(kept_passwords)}
            )
        return outcome

    def _change(self, name: str, user: User, value) -> str:
        if name == "password":
            return _("password")
        if name == "unit_id":
            return _("unit %(old)s → %(new)s") % {
                "old": user.unit.code if user.unit else "-",
                "new": next((c for c, pk in self.unit_ids.items() if pk == value), "-"),
            }
        return f"{name} “{getattr(user, name)}” → “{value}”"

    def _current_seats(self) -> set[Seat]:
        names = {pk: name for name, pk in self.user_ids.items()}
        held = [
            *fetch(BoardMember.objects, "user_id", names, "board__unit_id", "user_id", "role"),
            *fetch(UnitRole.objects, "user_id", names, "unit_id", "user_id", "role"),
        ]
        return {Seat(unit_id, names[user_id], role) for unit_id, user_id, role in held}

    def write(self) -> None:
        created = [
            User(
                username=r.username,
                full_name=r.full_name,
                email=r.email,
                unit_id=self.unit_ids[r.unit_code],
                password=make_password(r.password or None),  # none given: unusable
            )
            for r in self.new_users
        ]
        User.objects.bulk_create(created)
        self.user_ids.update((user.username, user.pk) for user in created)
        User.objects.bulk_update(self.changed_users, ["full_name", "email", "unit", "password"])
        board_seats = [seat for seat in self.new_seats if seat.role in BOARD_ROLES]
        boards = self._boards({seat.unit_id for seat in board_seats})
        BoardMember.objects.bulk_create(
            BoardMember(
                board_id=boards[seat.unit_id], user_id=self.user_ids[seat.username], role=seat.role
            )
            for seat in board_seats
        )
        UnitRole.objects.bulk_create(
            UnitRole(unit_id=seat.unit_id, user_id=self.user_ids[seat.username], role=seat.role)
            for seat in self.new_seats
            if seat.role not in BOARD_ROLES
        )

    def _boards(self, unit_ids: set[int]) -> dict[int, int]:
        """``{unit id: board id}``, creating the boards that are missing and their issuing
        bodies."""
        boards = dict(fetch(SteeringBoard.objects, "unit_id", unit_ids, "unit_id", "id"))
        missing = [
            # The board's name is data, written the way boards are named.
            SteeringBoard(unit_id=pk, name=f"Ban Chỉ đạo {name}")
            for pk, name in fetch(Unit.objects, "id", unit_ids - set(boards), "id", "name")
        ]
        SteeringBoard.objects.bulk_create(missing)
        services.board_issuing_bodies_create(boards=missing, chair_names=self.chair_names)
        boards.update((board.unit_id, board.pk) for board in missing)
        return boards
