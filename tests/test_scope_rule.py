"""One scope rule (core.selectors.scope_paths) for the web, the API, the admin and the
documents: staff status opens the admin, not another district's data; only a superuser has
the whole tree."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from core.models import Role, UnitRole
from core.selectors import scope_paths, unit_in_scope
from core.tests.factories import InitiativeFactory, UserFactory
from documents.models import PrintJob, PrintJobStatus
from documents.tests.factories import district_committee, issue_commendation
from workflows.takers import user_roles
from workflows.tests.factories import build_world

from .api_support import api, fast_password_hashing


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, tmp_path):
    fast_password_hashing(settings)
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    world = build_world()
    world.body = district_committee(unit=world.district.unit)
    clerk = UserFactory(unit=world.district.unit)
    UnitRole.objects.create(unit=world.district.unit, user=clerk, role=Role.CLERK)
    world.clerk = clerk
    world.decision = issue_commendation(world.body, clerk, count=1)
    world.job = PrintJob.objects.create(
        decision=world.decision, status=PrintJobStatus.DONE, total=1, done=1
    )
    world.job.pdf.save("job.pdf", ContentFile(b"%PDF-1.4 job"), save=False)
    world.job.zip.save("job.zip", ContentFile(b"PK job"), save=False)
    world.job.save()
    return world


def sibling_staff(world, **flags):
    """A clerk of the sibling district who is also staff, with every model permission."""
    user = UserFactory(unit=world.sibling.unit, is_staff=True, **flags)
    UnitRole.objects.create(unit=world.sibling.unit, user=user, role=Role.CLERK)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="core"))
    return user


def document_urls(world) -> list[str]:
    d, j = world.decision.pk, world.job.pk
    return [
        reverse("documents:decision", args=[d]),
        reverse("documents:decision-pdf", args=[d]),
        reverse("documents:print-job", args=[j]),
        reverse("documents:print-job-status", args=[j]),
        reverse("documents:print-job-file", args=[j, "pdf"]),
        reverse("documents:print-job-file", args=[j, "zip"]),
    ]


def test_the_districts_clerk_reads_its_decision_pdf_job_and_zip(world):
    client = Client()
    client.force_login(world.clerk)
    for url in document_urls(world):
        assert client.get(url).status_code == 200, url


def test_staff_of_a_sibling_district_reads_no_decision_pdf_job_or_zip(world):
    client = Client()
    client.force_login(sibling_staff(world))
    for url in document_urls(world):
        assert client.get(url).status_code == 404, url
    response = client.post(reverse("documents:print-job-create", args=[world.decision.pk]))
    assert response.status_code == 404
    assert PrintJob.objects.count() == 1
    assert (
        api(sibling_staff(world)).get(f"/api/v1/decisions/{world.decision.pk}/pdf/").status_code
        == 404
    )


def test_staff_sees_only_its_subtree_in_the_admin(world):
    staff = sibling_staff(world)
    client = Client()
    client.force_login(staff)
    own = InitiativeFactory(owner_unit=world.sibling.commune)
    other = InitiativeFactory(owner_unit=world.district.commune)
    page = client.get(reverse("admin:core_initiative_changelist"))
    assert page.status_code == 200
    listed = {row.pk for row in page.context["cl"].result_list}
    assert own.pk in listed and other.pk not in listed
    assert client.get(reverse("admin:core_initiative_change", args=[own.pk])).status_code == 200
    # An id outside the subtree is answered like a missing one (a redirect to the index).
    response = client.get(reverse("admin:core_initiative_change", args=[other.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    units = client.get(reverse("admin:core_unit_changelist")).context["cl"].result_list
    assert all(unit.path.startswith(world.sibling.unit.path) for unit in units)


def test_staff_cannot_make_itself_superuser_in_the_admin(world):
    staff = sibling_staff(world)
    client = Client()
    client.force_login(staff)
    page = client.get(reverse("admin:core_user_change", args=[staff.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()


def test_a_superuser_keeps_the_whole_tree(world):
    root = UserFactory(is_staff=True, is_superuser=True)
    assert scope_paths(user=root) is None
    client = Client()
    client.force_login(root)
    assert client.get(reverse("documents:decision", args=[world.decision.pk])).status_code == 200


def test_the_scope_rule_agrees_with_the_queue_roles(world):
    people = [
        world.province_chair,
        world.district.secretary,
        world.district.official,
        world.sibling.members[0],
        sibling_staff(world),
        UserFactory(is_staff=True),
    ]
    for person in people:
        assert scope_paths(user=person) == user_roles(user=person).scope_paths
    assert unit_in_scope(user=world.district.secretary, unit=world.district.commune)
    assert not unit_in_scope(user=world.district.secretary, unit=world.sibling.commune)
    assert not unit_in_scope(user=UserFactory(is_staff=True), unit=world.province)
