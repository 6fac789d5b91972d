"""The movement's data: the organisation tree, boards, people, phases, initiatives, awards.

Only ``core`` writes these models; other apps call ``core.services``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A unit's materialised path is the chain of its ancestors' primary keys, each written as a
# fixed-width hexadecimal step, so ``path LIKE '<prefix>%'`` selects a whole subtree through
# an index (Django adds a ``varchar_pattern_ops`` index on PostgreSQL for ``db_index``).
PATH_STEP_WIDTH = 8
PATH_SEPARATOR = "/"


def path_step(pk: int) -> str:
    return f"{pk:0{PATH_STEP_WIDTH}x}{PATH_SEPARATOR}"


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    HAMLET = "hamlet", _("Hamlet")
    AGENCY = "agency", _("Agency")
    PARTY_ORG = "party_org", _("Party organisation")


class UnitQuerySet(models.QuerySet):
    def subtree_of(self, unit: Unit) -> UnitQuerySet:
        return self.filter(path__startswith=unit.path)

    def active_on(self, day: dt.date) -> UnitQuerySet:
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day),
        )


class Unit(models.Model):
    """A node of the organisation tree: province, district, commune, hamlet, agency, party org.

    ``parent`` is the administrative parent the unit was created under and is kept for the
    record. The tree used for visibility and roll-ups follows ``successor`` first: a unit
    merged into another (the 2025 reform) hangs under its successor, so the successor's board
    sees the merged unit's initiatives, while decisions keep the merged unit's own name.
    """

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
        help_text=_("The unit this one was merged into."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    path = models.CharField(
        _("tree path"), max_length=255, db_index=True, editable=False, default=""
    )
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="unit_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def tree_parent_id(self) -> int | None:
        return self.successor_id or self.parent_id

    def is_active_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )

    def subtree(self) -> UnitQuerySet:
        return Unit.objects.subtree_of(self)

    def is_in_subtree_of(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=[("vi", "Tiếng Việt"), ("en", "English")],
        default="vi",
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    """Every role a person can hold. Board roles belong to a unit's steering board."""

    OFFICIAL = "official", _("Official")
    SECRETARY = "secretary", _("Secretary")
    MEMBER = "member", _("Member")
    CHAIR = "chair", _("Chair")
    DEPUTY = "deputy", _("Deputy chair")
    CLERK = "clerk", _("Clerk")
    LEADER = "leader", _("Leader")


BOARD_ROLES = (Role.CHAIR, Role.DEPUTY, Role.MEMBER, Role.SECRETARY)
UNIT_ROLES = (Role.OFFICIAL, Role.CLERK, Role.LEADER)


class SteeringBoard(models.Model):
    """The Ban Chỉ đạo of a unit. It accepts, evaluates and recognises initiatives."""

    unit = models.OneToOneField(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="board"
    )
    name = models.CharField(_("name"), max_length=255)
    quorum = models.PositiveSmallIntegerField(
        _("quorum"), default=3, help_text=_("Evaluations needed before evaluation can close.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("steering board")
        verbose_name_plural = _("steering boards")

    def __str__(self) -> str:
        return self.name


class BoardMember(models.Model):
    board = models.ForeignKey(
        SteeringBoard, verbose_name=_("board"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="board_memberships"
    )
    role = models.CharField(
        _("role"), max_length=16, choices=[(r.value, r.label) for r in BOARD_ROLES]
    )

    class Meta:
        verbose_name = _("board member")
        verbose_name_plural = _("board members")
        constraints = [
            models.UniqueConstraint(fields=["board", "user", "role"], name="board_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class UnitRole(models.Model):
    """A person's role in a unit outside its board: official, clerk, leader."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="roles"
    )
    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="unit_roles"
    )
    role = models.CharField(
        _("role"), max_length=16, choices=[(r.value, r.label) for r in UNIT_ROLES]
    )

    class Meta:
        verbose_name = _("unit role")
        verbose_name_plural = _("unit roles")
        constraints = [
            models.UniqueConstraint(fields=["unit", "user", "role"], name="unit_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class Field(models.Model):
    """A field (lĩnh vực) of initiatives. The eight of GLOSSARY.md are seeded; admins add more."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name (Vietnamese)"), max_length=255, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("field")
        verbose_name_plural = _("fields")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Phase(models.Model):
    """A phase of the movement, e.g. 2016 - 2020: 1 January 2016 to 31 December 2020."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="phase_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CycleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ReviewCycle(models.Model):
    """A yearly review (đợt bình xét) of one board, with its deadlines and rubric."""

    board = models.ForeignKey(
        SteeringBoard, verbose_name=_("board"), on_delete=models.PROTECT, related_name="cycles"
    )
    phase = models.ForeignKey(
        Phase, verbose_name=_("phase"), on_delete=models.PROTECT, related_name="cycles"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    opens_on = models.DateField(_("opens on"))
    report_due = models.DateField(_("report due"))
    evaluation_due = models.DateField(_("evaluation due"))
    decision_due = models.DateField(_("decision due"))
    pass_mark = models.DecimalField(_("pass mark"), max_digits=6, decimal_places=2, default=70)
    reminder_offsets = models.JSONField(
        _("reminder offsets (days before)"), default=list, blank=True
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CycleStatus.choices, default=CycleStatus.DRAFT
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "User",
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_reason = models.TextField(_("reason for closing"), blank=True)

    class Meta:
        verbose_name = _("review cycle")
        verbose_name_plural = _("review cycles")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["board", "year"], name="review_cycle_board_year"),
            models.CheckConstraint(
                condition=models.Q(report_due__gte=models.F("opens_on"))
                & models.Q(evaluation_due__gte=models.F("report_due"))
                & models.Q(decision_due__gte=models.F("evaluation_due")),
                name="review_cycle_deadlines_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.board} – {self.year}"


class Criterion(models.Model):
    """One weighted criterion of a cycle's rubric."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=255)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)
    max_score = models.PositiveSmallIntegerField(_("maximum score"), default=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "code"], name="criterion_cycle_code"),
            models.CheckConstraint(
                condition=models.Q(weight__gt=0), name="criterion_weight_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class InitiativeKind(models.TextChoices):
    COLLECTIVE = "collective", _("Collective")
    INDIVIDUAL = "individual", _("Individual")


class InitiativeStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    RETURNED = "returned", _("Returned")
    REJECTED = "rejected", _("Rejected")
    MONITORED = "monitored", _("Monitored")
    EVALUATED = "evaluated", _("Evaluated")
    RECOGNISED = "recognised", _("Recognised")
    COMMENDED = "commended", _("Commended")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    DISCONTINUED = "discontinued", _("Discontinued")


# Statuses that take an initiative out of the movement's running totals.
ENDED_STATUSES = (InitiativeStatus.WITHDRAWN, InitiativeStatus.DISCONTINUED)


class Initiative(models.Model):
    """A mô hình “Dân vận khéo”: run by a unit (collective) or a person (individual)."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=500)
    owner_unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="initiatives"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=InitiativeKind.choices)
    owner_name = models.CharField(
        _("owner's name"), max_length=255, blank=True, help_text=_("For an individual initiative.")
    )
    fields = models.ManyToManyField(Field, verbose_name=_("fields"), related_name="initiatives")
    phase = models.ForeignKey(
        Phase, verbose_name=_("phase"), on_delete=models.PROTECT, related_name="initiatives"
    )
    registered_on = models.DateField(_("registered on"))
    description = models.TextField(_("description"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    replicated_from = models.ForeignKey(
        "self",
        verbose_name=_("replicated from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replicas",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InitiativeStatus.choices,
        default=InitiativeStatus.REGISTERED,
        db_index=True,
    )
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        ordering = ["-registered_on", "-id"]
        indexes = [
            # Covering on PostgreSQL (INCLUDE): a subtree roll-up reads only this index.
            models.Index(
                fields=["owner_unit", "status"],
                include=["kind", "registered_on", "id"],
                name="initiative_unit_status",
            ),
            models.Index(fields=["registered_on"], name="initiative_registered_on"),
            # The statistics' "units that registered in the period": the (unit, date) pairs
            # of the period read from the index alone, not the initiatives' rows.
            models.Index(fields=["owner_unit", "registered_on"], name="initiative_unit_registered"),
            models.Index(fields=["phase", "status"], name="initiative_phase_status"),
            # The statistics' replication figures: only the few replicas, by owner unit.
            models.Index(
                fields=["owner_unit", "replicated_from"],
                condition=models.Q(replicated_from__isnull=False),
                name="initiative_replicas",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="individual") | ~models.Q(owner_name=""),
                name="initiative_individual_has_owner_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.title}"


class InitiativeStatusChange(models.Model):
    """One line of an initiative's history. Written once, never edited."""

    initiative = models.ForeignKey(
        Initiative, verbose_name=_("initiative"), on_delete=models.CASCADE, related_name="history"
    )
    from_status = models.CharField(
        _("from"), max_length=16, choices=InitiativeStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=16, choices=InitiativeStatus.choices)
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("history")
        ordering = ["at", "id"]
        # The statistics count recognitions by the date of their history line; the partial
        # index lets them probe a subtree's initiatives for a recognition line (an index-only
        # probe of the few recognition lines, not of the whole history).
        indexes = [
            models.Index(fields=["to_status", "at"], name="status_change_to_at"),
            models.Index(
                fields=["initiative", "at"],
                include=["source"],
                condition=models.Q(to_status="recognised"),
                name="status_change_recognised",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.from_status or '∅'} → {self.to_status}"

    def save(self, *args, **kwargs):
        # History is append-only: an existing row is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Initiative history cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Initiative history cannot be deleted.")


class IssuerKind(models.TextChoices):
    PEOPLE_COMMITTEE = "people_committee", _("People's Committee")
    PARTY_COMMITTEE = "party_committee", _("Party committee")
    STEERING_BOARD = "steering_board", _("Steering board")
    OTHER = "other", _("Other body")


class IssuingBody(models.Model):
    """A body that issues decisions and awards (UBND tỉnh Cao Bằng, Huyện ủy Hòa An...)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=IssuerKind.choices)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issuing_bodies",
    )
    abbreviation = models.CharField(
        _("number suffix"), max_length=32, blank=True, help_text=_("E.g. UBND, HU, TU, BCĐ.")
    )
    # What the documents of this body print (Decree 30/2020/NĐ-CP header and signature).
    header = models.TextField(
        _("header lines"),
        blank=True,
        help_text=_(
            "The body's name as printed top left, one line each (ỦY BAN NHÂN DÂN / TỈNH CAO BẰNG)."
        ),
    )
    place = models.CharField(
        _("place name"),
        max_length=128,
        blank=True,
        help_text=_("For the date line: Cao Bằng, ngày …"),
    )
    signing_authority = models.CharField(
        _("signing authority"), max_length=128, blank=True, help_text=_("E.g. TM. ỦY BAN NHÂN DÂN")
    )
    signer_title = models.CharField(_("signer's title"), max_length=128, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=128, blank=True)

    class Meta:
        verbose_name = _("issuing body")
        verbose_name_plural = _("issuing bodies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AwardType(models.TextChoices):
    PRAISE = "praise", _("Praise")
    CERTIFICATE_OF_MERIT = "certificate_of_merit", _("Certificate of merit")
    COMMENDATION_CERTIFICATE = "commendation_certificate", _("Certificate of commendation")


class RecipientKind(models.TextChoices):
    COLLECTIVE = "collective", _("Collective")
    INDIVIDUAL = "individual", _("Individual")


class Commendation(models.Model):
    """One award event (lượt): a collective or a person commended by a numbered decision."""

    award = models.CharField(_("award"), max_length=32, choices=AwardType.choices)
    recipient_kind = models.CharField(
        _("recipient kind"), max_length=16, choices=RecipientKind.choices
    )
    recipient_name = models.CharField(_("recipient"), max_length=255)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="commendations"
    )
    issuer = models.ForeignKey(
        IssuingBody,
        verbose_name=_("issuing body"),
        on_delete=models.PROTECT,
        related_name="commendations",
    )
    decision_number = models.CharField(_("decision number"), max_length=64)
    decision_date = models.DateField(_("decision date"))
    citation = models.TextField(_("citation"), blank=True)
    phase = models.ForeignKey(
        Phase,
        verbose_name=_("phase"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commendations",
    )
    initiative = models.ForeignKey(
        Initiative,
        verbose_name=_("initiative"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commendations",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["-decision_date", "id"]
        indexes = [
            models.Index(fields=["decision_date"], name="commendation_decision_date"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "issuer",
                    "decision_number",
                    "decision_date",
                    "recipient_kind",
                    "recipient_name",
                    "unit",
                ],
                name="commendation_natural_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_name} – {self.get_award_display()} ({self.decision_number})"


# --- Tallies: the roll-up's counts, kept by the initiatives' writers ---------------------------
# Derived data (``core.tallies`` is their one writer; ``rebuild_tallies`` recomputes them and
# ``rebuild_tallies --check`` compares). Each row counts the initiatives of a unit's whole
# subtree (the unit's own included), so a roll-up reads the rows of a unit and of its
# children instead of every initiative below it.


class InitiativeTally(models.Model):
    """How many initiatives of ``unit``'s subtree have this status and kind and were
    registered in ``year``."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16)
    kind = models.CharField(max_length=16)
    year = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("initiative tally")
        verbose_name_plural = _("initiative tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "status", "kind", "year"], name="initiative_tally_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.status} {self.kind} {self.year}: {self.n}"


class FieldTally(models.Model):
    """How many initiatives of ``unit``'s subtree with this status, registered in ``year``,
    are in ``field`` (the link table, rolled up)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16)
    year = models.IntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("field tally")
        verbose_name_plural = _("field tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "field", "status", "year"], name="field_tally_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.field_id} {self.status} {self.year}: {self.n}"


class RecognitionTally(models.Model):
    """How many initiatives of ``unit``'s subtree were recognised in exactly the calendar
    ``years`` (e.g. "2019,2023"; by the issued decision's date, or the history line's for
    a recognition recorded outside the workflow), in all (``field`` 0) or per field (a
    field's id). The set of years, not one row per year: an initiative recognised in two
    years of a period counts once in its total."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    field = models.IntegerField()  # 0: the initiatives themselves; else a Field's id
    years = models.CharField(max_length=255)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("recognition tally")
        verbose_name_plural = _("recognition tallies")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "field", "years"], name="recognition_tally_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.field} {self.years}: {self.n}"
