"""A body's document settings in the web: legal bases, certificate layouts, calibration page,
and printing on blanks from the decision page."""

import pytest
from django.urls import reverse

from core.models import AwardType
from core.tests.factories import UserFactory
from documents import selectors
from documents.models import CertificateLayout, PrintJob

from .factories import issue_commendation
from .pdfread import flat, page_size_mm, pdftotext

pytestmark = pytest.mark.django_db

GK = AwardType.CERTIFICATE_OF_MERIT


def settings_url(issuer) -> str:
    return reverse("documents:issuer-settings", kwargs={"pk": issuer.pk})


def layout_post(form_initial: dict, **changes) -> dict:
    data = {k: ("on" if v is True else v) for k, v in form_initial.items() if v is not False}
    data.update(changes)
    return data


def test_the_settings_page_shows_the_bases_and_both_layouts(issuer, clerk, client):
    client.force_login(clerk)
    response = client.get(settings_url(issuer))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022" in page
    assert page.count("calibration.pdf") == 2


def test_a_clerk_edits_the_legal_bases_one_per_line(issuer, clerk, client):
    client.force_login(clerk)
    response = client.post(
        reverse("documents:issuer-legal-bases", kwargs={"pk": issuer.pk}),
        {
            "recognition": "Căn cứ A;\r\n\r\nCăn cứ B",
            "commendation": "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022",
        },
    )
    assert response.status_code == 302
    assert selectors.legal_bases_for(issuer=issuer, kind="recognition") == ["Căn cứ A", "Căn cứ B"]
    decision = issue_commendation(issuer, clerk, count=1, proposal="Phòng Nội vụ huyện")
    text = flat(pdftotext(_pdf(decision)))
    assert (
        "Căn cứ Luật Thi đua, khen thưởng ngày 15 tháng 6 năm 2022; "
        "Theo đề nghị của Phòng Nội vụ huyện." in text
    )


def _pdf(decision):
    from documents import services

    return services.decision_pdf_bytes(decision=decision)


def test_a_clerk_moves_the_fields_and_the_calibration_page_follows(issuer, clerk, client):
    client.force_login(clerk)
    page = client.get(settings_url(issuer))
    form = next(item["form"] for item in page.context["layouts"] if item["award"] == GK)
    data = layout_post(
        {name: form[name].value() for name in form.fields},
        page_size="A3",
        offset_x_mm="2.5",
        recipient__y="120",
    )
    response = client.post(
        reverse("documents:issuer-layout", kwargs={"pk": issuer.pk, "award": GK}), data
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    layout = CertificateLayout.objects.get(issuer=issuer, award=GK)
    assert layout.page_size == "A3" and float(layout.offset_x_mm) == 2.5
    assert layout.fields["recipient"]["y"] == 120.0

    calibration = client.get(
        reverse("documents:issuer-calibration", kwargs={"pk": issuer.pk, "award": GK})
    )
    assert calibration.status_code == 200
    assert calibration["Content-Type"] == "application/pdf"
    assert page_size_mm(calibration.content) == (420, 297)
    # The form posts every box as shown (A4 values here): only the offsets move them.
    assert "Tên tập thể, cá nhân (32.5; 120.0 mm)" in flat(pdftotext(calibration.content))


def test_a_bad_layout_is_shown_again_with_its_errors(issuer, clerk, client):
    client.force_login(clerk)
    response = client.post(
        reverse("documents:issuer-layout", kwargs={"pk": issuer.pk, "award": GK}),
        {"page_size": "A5"},
    )
    assert response.status_code == 400
    assert not CertificateLayout.objects.exists()


def test_outsiders_and_unknown_awards_get_404(issuer, clerk, client):
    client.force_login(UserFactory())
    assert client.get(settings_url(issuer)).status_code == 404
    client.force_login(clerk)
    url = reverse("documents:issuer-calibration", kwargs={"pk": issuer.pk, "award": "praise"})
    assert client.get(url).status_code == 404
    assert client.get(url.replace("praise", GK)).status_code == 200


def test_the_decision_page_prints_on_blanks(issuer, clerk, client, settings):
    from documents import services

    decision = issue_commendation(issuer, clerk, count=1)
    services.certificates_issue(decision=decision, actor=clerk)
    client.force_login(clerk)
    page = client.get(reverse("documents:decision", kwargs={"pk": decision.pk}))
    assert 'name="on_blank"' in page.content.decode()
    response = client.post(
        reverse("documents:print-job-create", kwargs={"pk": decision.pk}), {"on_blank": "1"}
    )
    assert response.status_code == 302
    assert PrintJob.objects.get(decision=decision).on_blank is True
