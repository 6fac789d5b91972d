"""Digital signatures (chữ ký số): a decision signed with the signer's own token and uploaded
back, the issuing body's seal applied by the server, and what the verify page and the API say.

A throw-away CA is built at test time (``pki.py``); signers sign with pyHanko as a signer's
tool would. Every check reads the real PDFs back (pyHanko's validator, pypdf, pdftotext).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import subprocess
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from pypdf import PdfReader
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.errors import WrongState
from core.models import UnitKind
from core.tests.factories import UnitFactory
from documents import services, signatures, signing
from documents.models import DocumentSignature, SignatureSource
from documents.tasks import seal_certificates, seal_decision

from .conftest import pdf_to_png
from .factories import clerk_of, district_committee, issue_commendation
from .pki import CertificateAuthority, TimestampAuthority

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_caches():
    signing.reset_caches()
    yield
    signing.reset_caches()


@pytest.fixture(scope="module")
def ca():
    return CertificateAuthority("Cơ quan chứng thực thử nghiệm")


@pytest.fixture(scope="module")
def chair(ca):
    return ca.issue("Nông Thị Ằng")


@pytest.fixture
def trusted(ca, settings, tmp_path):
    """The operator's trust file: our test root and another (one PEM, many roots)."""
    other = CertificateAuthority("Another trusted root")
    settings.DOCUMENTS_TRUSTED_CA_FILE = str(ca.write_pem(tmp_path / "roots.pem", other))
    return ca


@pytest.fixture
def decision(issuer, clerk):
    return issue_commendation(issuer, clerk, count=2, individuals=1)


@pytest.fixture
def issued_pdf(decision):
    return services.decision_pdf_bytes(decision=decision)


def api(user) -> APIClient:
    client = APIClient()
    token, _created = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def upload(client, decision, data: bytes, name: str = "signed.pdf"):
    return client.post(
        f"/api/v1/decisions/{decision.pk}/signed-pdf/",
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="vi",
    )


def vietnamese(code: str) -> str:
    with translation.override("vi"):
        return signing.rejection_message(code)


def assert_refused(response, code: str) -> None:
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert detail.startswith(vietnamese(code)), detail
    with translation.override("en"):
        assert not detail.startswith(signing.rejection_message(code))  # Vietnamese first


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


# --- The signer's own token ---------------------------------------------------------------


def test_a_decision_signed_with_a_trusted_token_is_accepted_and_then_served(
    trusted, chair, decision, issued_pdf, clerk
):
    signed = chair.sign(issued_pdf)
    response = upload(api(clerk), decision, signed)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "valid"
    assert body["source"] == "signer"
    assert body["signer"] == "Nông Thị Ằng"
    assert body["issuer"] == "Cơ quan chứng thực thử nghiệm"
    assert dt.datetime.fromisoformat(body["signed_at"]) <= dt.datetime.now(dt.UTC)

    # The decision object tells it; the PDF link now serves the signed original.
    answer = api(clerk).get(f"/api/v1/decisions/{decision.pk}/").json()
    assert answer["signature"]["status"] == "valid"
    assert answer["signature"]["signer"] == "Nông Thị Ằng"
    assert answer["sha256"] == decision.sha256
    served = api(clerk).get(f"/api/v1/decisions/{decision.pk}/pdf/")
    assert served.status_code == 200
    assert served.content == signed
    assert served["Content-Disposition"].endswith('-signed.pdf"')
    # Its first revision is the decision as issued, byte for byte.
    assert hashlib.sha256(served.content[: len(issued_pdf)]).hexdigest() == decision.sha256
    assert decision.number in text_of(served.content)
    row = DocumentSignature.objects.get(decision=decision)
    assert row.source == SignatureSource.SIGNER
    assert row.sha256 == hashlib.sha256(signed).hexdigest()
    assert row.created_by == clerk


def test_a_pdf_cosigned_by_two_signers_is_accepted_and_names_the_last(
    trusted, chair, decision, issued_pdf, clerk
):
    deputy = trusted.issue("Hoàng Văn Ước")
    signed = deputy.sign(chair.sign(issued_pdf), field_name="Signature2")
    response = upload(api(clerk), decision, signed)
    assert response.status_code == 201, response.content
    assert response.json()["signer"] == "Hoàng Văn Ước"


def test_a_tampered_byte_is_refused_as_tampered(trusted, chair, decision, issued_pdf, clerk):
    signed = bytearray(chair.sign(issued_pdf))
    # One byte of the decision's own content, inside what the signature covers.
    at = signed.index(b"/Producer")
    signed[at + 3] ^= 0x01
    response = upload(api(clerk), decision, bytes(signed))
    assert_refused(response, signing.Rejection.TAMPERED)
    assert not DocumentSignature.objects.exists()
    # Nothing stored either: the PDF link still serves the issued file.
    served = api(clerk).get(f"/api/v1/decisions/{decision.pk}/pdf/")
    assert served.content == issued_pdf


def test_a_signature_from_an_untrusted_root_is_refused(trusted, decision, issued_pdf, clerk):
    stranger = CertificateAuthority("Untrusted CA").issue("Nông Thị Ằng")
    assert_refused(
        upload(api(clerk), decision, stranger.sign(issued_pdf)), signing.Rejection.UNTRUSTED
    )


def test_nothing_is_trusted_when_no_roots_are_configured(
    settings, chair, decision, issued_pdf, clerk
):
    settings.DOCUMENTS_TRUSTED_CA_FILE = ""
    assert_refused(
        upload(api(clerk), decision, chair.sign(issued_pdf)), signing.Rejection.UNTRUSTED
    )


def test_another_decisions_signed_pdf_is_refused(trusted, chair, decision, issuer, clerk):
    other = issue_commendation(issuer, clerk, count=1)
    signed_other = chair.sign(services.decision_pdf_bytes(decision=other))
    assert_refused(upload(api(clerk), decision, signed_other), signing.Rejection.OTHER_DOCUMENT)
    # The same file is accepted for the decision it is.
    assert upload(api(clerk), other, signed_other).status_code == 201


def test_an_unsigned_pdf_is_refused(trusted, decision, issued_pdf, clerk):
    assert_refused(upload(api(clerk), decision, issued_pdf), signing.Rejection.UNSIGNED)


def test_a_file_that_is_not_a_pdf_is_refused(trusted, decision, clerk):
    assert_refused(upload(api(clerk), decision, b"hello, not a PDF"), signing.Rejection.NOT_PDF)


@pytest.mark.parametrize("cut", [0.5, 0.98])
def test_a_truncated_signed_pdf_is_refused_not_a_server_error(
    trusted, chair, decision, issued_pdf, clerk, cut
):
    signed = chair.sign(issued_pdf)
    response = upload(api(clerk), decision, signed[: int(len(signed) * cut)])
    assert response.status_code == 400, response.content
    assert not DocumentSignature.objects.exists()


def test_a_signature_with_an_expired_certificate_is_refused(trusted, decision, issued_pdf, clerk):
    now = dt.datetime.now(dt.UTC)
    expired = trusted.issue(
        "Nông Thị Ằng",
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=1),
    )
    assert_refused(
        upload(api(clerk), decision, expired.sign(issued_pdf)), signing.Rejection.EXPIRED
    )


def test_content_added_after_the_signature_is_refused(trusted, chair, decision, issued_pdf, clerk):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(chair.sign(issued_pdf)))
    writer.root["/Lang"] = generic.TextStringObject("en")  # a change nobody signed
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    assert_refused(upload(api(clerk), decision, out.getvalue()), signing.Rejection.NOT_WHOLE_FILE)


def test_a_second_upload_is_refused_and_the_first_kept(trusted, chair, decision, issued_pdf, clerk):
    first = chair.sign(issued_pdf)
    assert upload(api(clerk), decision, first).status_code == 201
    second = upload(api(clerk), decision, trusted.issue("Hoàng Văn Ước").sign(issued_pdf))
    assert second.status_code == 409
    assert DocumentSignature.objects.get(decision=decision).signer == "Nông Thị Ằng"


def test_only_a_clerk_of_the_body_uploads_and_an_outsider_does_not_see_it(
    trusted, chair, decision, issued_pdf
):
    signed = chair.sign(issued_pdf)
    outsider_body = district_committee(
        code="ubnd-ha-quang",
        name="Ủy ban nhân dân huyện Hà Quảng",
        unit=UnitFactory(name="Huyện Hà Quảng", kind=UnitKind.DISTRICT),
    )
    outsider = clerk_of(outsider_body, username="clerk-ha-quang")
    assert upload(api(outsider), decision, signed).status_code == 404
    listed = decision.entries.first().unit
    commune_clerk = clerk_of(district_committee(code="x", name="X", unit=listed), username="c")
    assert upload(api(commune_clerk), decision, signed).status_code == 403
    assert not DocumentSignature.objects.exists()


def test_the_decision_page_takes_the_signed_pdf_and_shows_the_signer(
    trusted, chair, decision, issued_pdf, clerk, client
):
    client.force_login(clerk)
    page = client.get(f"/documents/decisions/{decision.pk}/")
    assert page.status_code == 200
    assert b'name="file"' in page.content
    issued = client.get(f"/documents/decisions/{decision.pk}/pdf?issued=1")
    assert issued.content == issued_pdf

    refused = client.post(
        f"/documents/decisions/{decision.pk}/signed-pdf",
        {"file": SimpleUploadedFile("x.pdf", issued_pdf, content_type="application/pdf")},
        HTTP_ACCEPT_LANGUAGE="vi",
    )
    assert refused.status_code == 400
    assert vietnamese(signing.Rejection.UNSIGNED) in refused.content.decode()

    accepted = client.post(
        f"/documents/decisions/{decision.pk}/signed-pdf",
        {"file": SimpleUploadedFile("x.pdf", chair.sign(issued_pdf))},
    )
    assert accepted.status_code == 302
    page = client.get(f"/documents/decisions/{decision.pk}/").content.decode()
    assert 'id="signature-signer">Nông Thị Ằng<' in page
    assert 'name="file"' not in page
    served = client.get(f"/documents/decisions/{decision.pk}/pdf")
    assert served.content == DocumentSignature.objects.get().pdf.open("rb").read()


def test_a_signature_that_stopped_validating_says_so(
    trusted, chair, decision, issued_pdf, clerk, settings, tmp_path
):
    assert upload(api(clerk), decision, chair.sign(issued_pdf)).status_code == 201
    # The operator removes the root: the stored signature no longer chains to a trusted one.
    settings.DOCUMENTS_TRUSTED_CA_FILE = str(
        CertificateAuthority("Other").write_pem(tmp_path / "other.pem")
    )
    answer = api(clerk).get(f"/api/v1/decisions/{decision.pk}/").json()["signature"]
    assert answer["status"] == "invalid"
    assert answer["signer"] == "Nông Thị Ằng"
    assert answer["problem"]


def test_an_unsigned_decision_says_so(decision, clerk):
    answer = api(clerk).get(f"/api/v1/decisions/{decision.pk}/").json()["signature"]
    assert answer == {
        "status": "unsigned",
        "source": None,
        "signer": None,
        "issuer": None,
        "signed_at": None,
        "problem": None,
    }


# --- The body's seal ----------------------------------------------------------------------


@pytest.fixture
def seal(trusted, issuer, settings, tmp_path, monkeypatch):
    """The body's key as an operator gives it: a PKCS#12 file and its password's variable."""
    identity = trusted.issue("Ủy ban nhân dân huyện Hòa An")
    path = tmp_path / "hoa-an.p12"
    path.write_bytes(identity.pkcs12(b"mat-khau"))
    monkeypatch.setenv("DVK_TEST_SEAL_PASSWORD", "mat-khau")
    settings.DOCUMENTS_SEAL_KEYS = {
        issuer.code: {"pkcs12": str(path), "password_env": "DVK_TEST_SEAL_PASSWORD"}
    }
    # Tasks run here, as a worker would run them after the commit.
    monkeypatch.setattr(seal_certificates, "delay", lambda ids: seal_certificates(ids))
    monkeypatch.setattr(seal_decision, "delay", lambda pk: seal_decision(pk))
    return identity


def _issue_certificates(decision, clerk, capture):
    with capture(execute=True):
        return services.certificates_issue(decision=decision, actor=clerk)


def test_issued_certificates_are_sealed_with_the_bodys_key(
    seal, decision, clerk, client, django_capture_on_commit_callbacks, output_dir
):
    certificates = _issue_certificates(decision, clerk, django_capture_on_commit_callbacks)
    assert len(certificates) == 3
    for certificate in certificates:
        row = DocumentSignature.objects.get(certificate=certificate)
        assert row.source == SignatureSource.SEAL
        assert row.signer == "Ủy ban nhân dân huyện Hòa An"
    # The certificate's PDF is the sealed one, PAdES, and it validates.
    response = api(clerk).get(f"/api/v1/certificates/{certificates[0].pk}/pdf/")
    assert response.status_code == 200
    sealed = response.content
    info = signing.inspect_signed_pdf(sealed)
    assert info.signer == "Ủy ban nhân dân huyện Hòa An"
    assert not info.timestamped  # B-B without a TSA
    reader = PdfReader(io.BytesIO(sealed))
    field = reader.get_fields()[signing.SEAL_FIELD]
    assert field["/V"]["/SubFilter"] == "/ETSI.CAdES.detached"
    # The visible stamp: the body's name and the signing time, on the page.
    (output_dir / "certificate-sealed.pdf").write_bytes(sealed)
    text = subprocess.run(
        ["pdftotext", "-layout", str(output_dir / "certificate-sealed.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Ký số bởi: Ủy ban nhân dân huyện Hòa An" in text
    assert re.search(r"Thời gian ký: \d\d:\d\d:\d\d ngày \d\d/\d\d/\d{4}", text)
    assert certificates[0].content["recipient_line"] in text
    png = pdf_to_png(sealed, output_dir, "certificate-sealed", dpi=80)
    assert png.stat().st_size > 10_000

    # The verify page says it is sealed, by whom, and that the seal validates.
    page = client.get(f"/verify/{certificates[0].code}/", HTTP_ACCEPT_LANGUAGE="vi")
    html = page.content.decode()
    assert 'class="signature signature-valid"' in html
    assert 'id="signature-signer">Ủy ban nhân dân huyện Hòa An<' in html
    # And the API's certificate objects.
    entry = api(clerk).get(f"/api/v1/decisions/{decision.pk}/").json()["entries"][0]
    assert entry["certificates"][0]["signature"]["status"] == "valid"
    assert entry["certificates"][0]["signature"]["source"] == "seal"


def test_one_file_per_recipient_holds_the_sealed_certificates(
    seal, decision, clerk, django_capture_on_commit_callbacks
):
    import zipfile

    certificates = _issue_certificates(decision, clerk, django_capture_on_commit_callbacks)
    joined, files = services.certificates_render(certificates, per_recipient=True)
    assert b"/ByteRange" not in joined  # the file for paper is one unsigned document
    assert len(files) == 3
    for (_name, data), certificate in zip(files, certificates, strict=True):
        assert data == signatures.signed_pdf_bytes(certificate.signature)
        assert signing.inspect_signed_pdf(data).signer == "Ủy ban nhân dân huyện Hòa An"
    # And through a print job's ZIP.
    job = services.PrintJob.objects.create(
        decision=decision, requested_by=clerk, per_recipient=True
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(services, "_fan_out", lambda: False)
        job = services.print_job_run(job_id=job.pk)
    assert job.status == "done"
    with zipfile.ZipFile(job.zip.open("rb")) as archive:
        members = [archive.read(name) for name in archive.namelist()]
    assert sorted(members) == sorted(data for _name, data in files)


def test_a_reissued_certificate_is_sealed_too_and_a_rerun_seals_nothing_twice(
    seal, decision, clerk, django_capture_on_commit_callbacks
):
    certificates = _issue_certificates(decision, clerk, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        replacement = services.certificate_reissue(certificate=certificates[0], actor=clerk)
    assert DocumentSignature.objects.filter(certificate=replacement).exists()
    assert signatures.certificates_seal(certificate_ids=[c.pk for c in certificates]) == 0
    assert DocumentSignature.objects.filter(certificate__isnull=False).count() == 4


def test_a_body_without_a_key_seals_nothing(
    trusted, decision, clerk, django_capture_on_commit_callbacks, settings
):
    settings.DOCUMENTS_SEAL_KEYS = {}
    certificates = _issue_certificates(decision, clerk, django_capture_on_commit_callbacks)
    assert not DocumentSignature.objects.exists()
    response = api(clerk).get(f"/api/v1/certificates/{certificates[0].pk}/pdf/")
    assert b"/ByteRange" not in response.content


def test_the_command_seals_what_was_issued_before_the_key(
    seal, decision, clerk, settings, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    keys = settings.DOCUMENTS_SEAL_KEYS
    settings.DOCUMENTS_SEAL_KEYS = {}
    certificates = _issue_certificates(decision, clerk, django_capture_on_commit_callbacks)
    assert not DocumentSignature.objects.exists()
    settings.DOCUMENTS_SEAL_KEYS = keys
    out = io.StringIO()
    call_command("seal_certificates", "--issuer", decision.issuer.code, "--dry-run", stdout=out)
    assert "3 certificate(s)" in out.getvalue()
    assert not DocumentSignature.objects.exists()
    call_command("seal_certificates", "--issuer", decision.issuer.code, stdout=io.StringIO())
    assert DocumentSignature.objects.filter(certificate__in=certificates).count() == 3
    out = io.StringIO()
    call_command("seal_certificates", "--issuer", decision.issuer.code, "--dry-run", stdout=out)
    assert "0 certificate(s)" in out.getvalue()


def test_a_decision_is_sealed_when_the_clerk_asks_and_validates_as_issued(
    seal, decision, clerk, client, output_dir
):
    client.force_login(clerk)
    page = client.get(f"/documents/decisions/{decision.pk}/").content.decode()
    assert f"/documents/decisions/{decision.pk}/seal" in page
    assert client.post(f"/documents/decisions/{decision.pk}/seal").status_code == 302
    row = DocumentSignature.objects.get(decision=decision)
    assert row.source == SignatureSource.SEAL
    sealed = client.get(f"/documents/decisions/{decision.pk}/pdf").content
    # Its first revision is the decision as issued; the stamp sits on the signer's page.
    signing.check_signed_pdf(sealed, expected_sha256=decision.sha256)
    page_one = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-", "-"],
        input=sealed,
        check=True,
        capture_output=True,
    ).stdout.decode()
    assert "Ký số bởi: Ủy ban nhân dân huyện Hòa An" in page_one
    assert "PHÓ CHỦ TỊCH" in page_one
    assert pdf_to_png(sealed, output_dir, "decision-sealed", dpi=80).exists()
    answer = api(clerk).get(f"/api/v1/decisions/{decision.pk}/").json()["signature"]
    assert answer["status"] == "valid" and answer["source"] == "seal"


def test_with_a_timestamping_service_the_seal_is_pades_b_t(seal, trusted, decision, settings):
    tsa = TimestampAuthority(trusted)  # a TSA whose certificate chains to a trusted root
    try:
        settings.DOCUMENTS_TSA_URL = tsa.url
        row = signatures.decision_seal(decision=decision)
    finally:
        tsa.close()
    assert tsa.requests == 1
    assert row.timestamped
    sealed = signatures.signed_pdf_bytes(row)
    info = signing.check_signed_pdf(sealed, expected_sha256=decision.sha256)
    assert info.timestamped
    assert abs((info.signed_at - row.created_at).total_seconds()) < 60
    # Two years on, the seal's certificate (one year) has expired: the timestamp proves the
    # seal was made while it was valid, so a B-T seal still validates, a B-B one does not.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=730)
    assert signing.describe_signed_pdf(sealed, expected_sha256=decision.sha256, at=later).valid
    settings.DOCUMENTS_TSA_URL = ""
    other = issue_commendation(decision.issuer, decision.issued_by, count=1)
    plain = signatures.signed_pdf_bytes(signatures.decision_seal(decision=other))
    assert signing.describe_signed_pdf(plain, expected_sha256=other.sha256).valid
    check = signing.describe_signed_pdf(plain, expected_sha256=other.sha256, at=later)
    assert not check.valid
    assert check.reason == signing.Rejection.EXPIRED


def test_a_key_that_says_seal_decisions_seals_each_decision_at_issue(
    seal, issuer, clerk, settings, django_capture_on_commit_callbacks
):
    settings.DOCUMENTS_SEAL_KEYS[issuer.code]["seal_decisions"] = True
    with django_capture_on_commit_callbacks(execute=True):
        decision = issue_commendation(issuer, clerk, count=1)
    assert DocumentSignature.objects.get(decision=decision).source == SignatureSource.SEAL


def test_sealing_without_a_key_or_with_a_missing_password_fails_loudly(
    seal, decision, issuer, settings, monkeypatch
):
    monkeypatch.delenv("DVK_TEST_SEAL_PASSWORD")
    with pytest.raises(ValueError, match="DVK_TEST_SEAL_PASSWORD"):
        signatures.decision_seal(decision=decision)
    settings.DOCUMENTS_SEAL_KEYS = {}
    with pytest.raises(WrongState):
        signatures.decision_seal(decision=decision)


@pytest.mark.parametrize(
    "config, message",
    [
        ({"pkcs12": "/a.p12", "pkcs11_module": "/b.so"}, "either pkcs12 or pkcs11_module"),
        ({"password_env": "X"}, "either pkcs12 or pkcs11_module"),
        ({"pkcs12": "/a.p12", "pasword_env": "X"}, "unknown keys pasword_env"),
    ],
)
def test_a_wrong_seal_key_configuration_is_named(settings, config, message):
    settings.DOCUMENTS_SEAL_KEYS = {"ubnd-hoa-an": config}
    with pytest.raises(ValueError, match=message):
        signing.seal_key("ubnd-hoa-an")
    assert signing.seal_key("another-body") is None


def test_the_system_check_names_missing_roots_keys_and_secrets(settings, tmp_path, monkeypatch):
    from documents.checks import signature_settings_check

    assert signature_settings_check() == []
    settings.DOCUMENTS_TRUSTED_CA_FILE = str(tmp_path / "missing.pem")
    (tmp_path / "junk.pem").write_text("not a certificate")
    settings.DOCUMENTS_SEAL_KEYS = {
        "a": {"pkcs12": str(tmp_path / "missing.p12"), "password_env": "DVK_UNSET_SECRET"},
        "b": {"pkcs12": "/x.p12", "pkcs11_module": "/y.so"},
    }
    monkeypatch.delenv("DVK_UNSET_SECRET", raising=False)
    assert sorted(p.id for p in signature_settings_check()) == [
        "documents.E001",
        "documents.E003",
        "documents.E004",
        "documents.W001",
    ]
    settings.DOCUMENTS_TRUSTED_CA_FILE = str(tmp_path / "junk.pem")
    settings.DOCUMENTS_SEAL_KEYS = {}
    assert [p.id for p in signature_settings_check()] == ["documents.E002"]


def test_batch_sealing_of_50_certificates_and_the_time_it_adds(
    seal, issuer, clerk, django_capture_on_commit_callbacks, capsys
):
    """Each of 50 certificates gets its own sealed file that validates; the time the seal
    adds is reported (targets live in bench/bench_certificates.py, not here)."""
    decision = issue_commendation(issuer, clerk, count=50)
    certificates = services.certificates_issue(decision=decision, actor=clerk)  # no seal yet
    assert len(certificates) == 50

    started = time.perf_counter()
    for certificate in certificates:
        services.certificate_pdf_bytes(certificate=certificate)
    render_only = time.perf_counter() - started
    started = time.perf_counter()
    assert signatures.certificates_seal(certificate_ids=[c.pk for c in certificates]) == 50
    with_seal = time.perf_counter() - started

    rows = DocumentSignature.objects.filter(certificate__in=certificates)
    assert rows.count() == 50
    assert len({row.sha256 for row in rows}) == 50
    for row in rows.select_related("certificate"):
        data = signatures.signed_pdf_bytes(row)
        assert signing.inspect_signed_pdf(data).signer == "Ủy ban nhân dân huyện Hòa An"
        assert row.certificate.register_number in text_of(data)
    with capsys.disabled():
        print(
            f"\n50 certificates: rendered one by one {render_only:.2f} s; rendered and sealed "
            f"{with_seal:.2f} s (the seal adds {(with_seal - render_only) / 50 * 1000:.0f} ms "
            "each)"
        )


SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


@pytest.fixture
def token(trusted, issuer, settings, tmp_path, monkeypatch):
    """The body's key on a PKCS#11 token (SoftHSM, Debian's softhsm2, a test-only package):
    the key imported with softhsm2-util, its certificate written with python-pkcs11."""
    import shutil

    import pkcs11
    from cryptography.hazmat.primitives import serialization
    from pkcs11 import Attribute, CertificateType, ObjectClass

    assert shutil.which("softhsm2-util"), "softhsm2 is a test dependency (apt-packages.txt)"
    identity = trusted.issue("Tỉnh ủy Cao Bằng (token)", rsa_key=True)
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    monkeypatch.setenv("DVK_TEST_SEAL_PIN", "5678")
    label = f"dvk-{tmp_path.name[-20:]}"

    def run(*args):
        subprocess.run(["softhsm2-util", *args], check=True, capture_output=True)

    run("--init-token", "--free", "--label", label, "--so-pin", "1234", "--pin", "5678")
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(
        identity.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    run(
        "--import",
        str(key_file),
        "--token",
        label,
        "--label",
        "seal",
        "--id",
        "01",
        "--pin",
        "5678",
    )
    key_file.unlink()
    lib = pkcs11.lib(SOFTHSM)
    with lib.get_token(token_label=label).open(user_pin="5678", rw=True) as session:
        session.create_object(
            {
                Attribute.CLASS: ObjectClass.CERTIFICATE,
                Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                Attribute.TOKEN: True,
                Attribute.LABEL: "seal",
                Attribute.ID: b"\x01",
                Attribute.SUBJECT: identity.cert.subject.public_bytes(),
                Attribute.VALUE: identity.cert.public_bytes(serialization.Encoding.DER),
            }
        )
    settings.DOCUMENTS_SEAL_KEYS = {
        issuer.code: {
            "pkcs11_module": SOFTHSM,
            "pkcs11_token": label,
            "pkcs11_key_label": "seal",
            "pin_env": "DVK_TEST_SEAL_PIN",
        }
    }
    return identity


def test_a_key_on_a_pkcs11_token_seals_a_decision(token, decision, clerk):
    row = signatures.decision_seal(decision=decision, actor=clerk)
    assert row.signer == "Tỉnh ủy Cao Bằng (token)"
    sealed = signatures.signed_pdf_bytes(row)
    info = signing.check_signed_pdf(sealed, expected_sha256=decision.sha256)
    assert info.serial == format(token.cert.serial_number, "x")
