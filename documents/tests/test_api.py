"""A decision's PDF and its certificates through the REST API, with an API token."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from pypdf import PdfReader
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.models import UnitKind, UnitRole
from core.tests.factories import UnitFactory, UserFactory
from documents import services

from .factories import clerk_of, district_committee, issue_commendation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api(user=None, **headers) -> APIClient:
    client = APIClient(**headers)
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def decision(issuer, clerk):
    decision = issue_commendation(issuer, clerk, count=2, individuals=1)
    services.certificates_issue(decision=decision, actor=clerk)
    return decision


@pytest.fixture
def outsider(db):
    """The clerk of a sibling district: none of the decision's bodies or units."""
    other = district_committee(
        code="ubnd-ha-quang",
        name="Ủy ban nhân dân huyện Hà Quảng",
        unit=UnitFactory(name="Huyện Hà Quảng", kind=UnitKind.DISTRICT),
    )
    return clerk_of(other, username="clerk-ha-quang")


def read(client, decision_id: int) -> dict:
    response = client.get(f"/api/v1/decisions/{decision_id}/")
    assert response.status_code == 200, response.content
    return response.json()


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def test_the_decision_pdf_link_answers_the_api_token(decision, clerk):
    body = read(api(clerk), decision.pk)
    assert body["pdf"] == f"http://testserver/api/v1/decisions/{decision.pk}/pdf/"

    response = api(clerk).get(body["pdf"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="QD-2023-0001-ubnd-hoa-an.pdf"'
    )
    assert hashlib.sha256(response.content).hexdigest() == body["sha256"] == decision.sha256
    assert "Số: 1/QĐ-UBND" in text_of(response.content)


def test_a_client_that_accepts_only_pdf_gets_the_pdf_and_errors_in_json(decision, clerk):
    client = api(clerk, HTTP_ACCEPT="application/pdf")

    response = client.get(f"/api/v1/decisions/{decision.pk}/pdf/")
    assert (response.status_code, response.content[:5]) == (200, b"%PDF-")

    missing = client.get(f"/api/v1/decisions/{decision.pk + 100}/pdf/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert "detail" in missing.json()


def test_a_unit_listed_in_the_decision_reads_it_and_its_pdf(decision):
    listed_unit = decision.entries.get(position=1).unit
    official = UserFactory(username="official-binh-long")
    UnitRole.objects.create(unit=listed_unit, user=official, role="official")

    assert read(api(official), decision.pk)["number"] == "1/QĐ-UBND"
    assert api(official).get(f"/api/v1/decisions/{decision.pk}/pdf/").status_code == 200


def test_the_pdf_of_a_decision_outside_my_units_is_not_found(decision, outsider):
    response = api(outsider).get(f"/api/v1/decisions/{decision.pk}/pdf/")

    assert response.status_code == 404
    assert api(outsider).get(f"/api/v1/decisions/{decision.pk}/").status_code == 404
    assert api().get(f"/api/v1/decisions/{decision.pk}/pdf/").status_code == 401


def test_the_decision_lists_each_entrys_certificates(decision, clerk):
    entries = read(api(clerk), decision.pk)["entries"]

    assert [len(entry["certificates"]) for entry in entries] == [1, 1, 1]
    for position, entry in enumerate(entries, 1):
        [certificate] = entry["certificates"]
        stored = decision.certificates.get(entry__position=position)
        assert certificate == {
            "id": stored.pk,
            "register_number": f"{position}/GK-UBND",
            "code": stored.code,
            "status": "valid",
            "issued_at": certificate["issued_at"],
            "verify_url": f"http://testserver/verify/{stored.code}/",
            "pdf": f"http://testserver/api/v1/certificates/{stored.pk}/pdf/",
            # No seal key for this body: the certificate's PDF is not signed.
            "signature": {
                "status": "unsigned",
                "source": None,
                "signer": None,
                "issuer": None,
                "signed_at": None,
                "problem": None,
            },
        }
        # The key clients already read stays as it was.
        assert entry["certificate"] == {
            "register_number": f"{position}/GK-UBND",
            "code": stored.code,
        }


def test_a_certificate_pdf_is_its_one_page_with_its_register_number(decision, clerk):
    entry = read(api(clerk), decision.pk)["entries"][2]
    [certificate] = entry["certificates"]

    response = api(clerk).get(certificate["pdf"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="GK-2023-00003-ubnd-hoa-an.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # landscape
    text = text_of(response.content)
    assert "Số vào sổ: 3/GK-UBND" in text
    assert "Lương Thị Hường 1" in text
    # The verify page it points to is public and says the certificate is genuine.
    verify = APIClient().get(certificate["verify_url"].replace("http://testserver", ""))
    assert verify.status_code == 200 and "3/GK-UBND" in verify.content.decode()


def test_a_revoked_certificate_is_listed_as_revoked_and_not_printed(decision, clerk):
    stored = decision.certificates.get(entry__position=1)
    services.certificate_revoke(certificate=stored, reason="Ghi sai tên", actor=clerk)

    [certificate] = read(api(clerk), decision.pk)["entries"][0]["certificates"]
    response = api(clerk).get(certificate["pdf"])

    assert certificate["status"] == "revoked"
    assert response.status_code == 409
    assert response.json()["detail"] == "Chỉ in được giấy khen, bằng khen còn hiệu lực."


def test_a_reissued_certificate_lists_both_oldest_first(decision, clerk):
    stored = decision.certificates.get(entry__position=2)
    replacement = services.certificate_reissue(certificate=stored, actor=clerk, reason="Mất")

    entry = read(api(clerk), decision.pk)["entries"][1]

    assert [(c["id"], c["status"]) for c in entry["certificates"]] == [
        (stored.pk, "replaced"),
        (replacement.pk, "valid"),
    ]
    assert entry["certificate"]["register_number"] == replacement.register_number


def test_a_certificate_outside_my_units_is_not_found(decision, outsider):
    stored = decision.certificates.first()

    assert api(outsider).get(f"/api/v1/certificates/{stored.pk}/pdf/").status_code == 404
    assert api().get(f"/api/v1/certificates/{stored.pk}/pdf/").status_code == 401
