"""One rule for text, everywhere (core.text): control characters are refused by every web
form, every API input and the importers; and one rule for registration dates
(core.rules.registered_on_problem): not in the future, not before the movement's records,
not after the phase, in the API, the web and the importer."""

from __future__ import annotations

import importlib

import pytest
from django import forms
from django.conf import settings
from django.test import Client
from rest_framework import serializers

from core.forms import CleanTextForm, CleanTextModelForm
from core.models import Initiative, Phase
from core.tests.test_import_files import run, write_csv
from workflows.api import serializers as api_serializers
from workflows.api.views import parse
from workflows.tests.factories import build_world

from .api_support import INITIATIVE, api, fast_password_hashing

PROJECT_APPS = ("core", "workflows", "notifications", "documents", "stats")
# Every module of the project's apps that holds forms (found, not listed: a new forms module
# is checked without a line here), and the views modules that define their forms inline.
FORM_MODULES = sorted(
    {
        ".".join(path.relative_to(settings.BASE_DIR).with_suffix("").parts)
        for app in PROJECT_APPS
        for path in (settings.BASE_DIR / app).rglob("*.py")
        if path.stem in ("forms", "admin") and "tests" not in path.parts
    }
    | {"stats.views"}
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    fast_password_hashing(settings)


@pytest.fixture
def world(db):
    return build_world()


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_the_project_derives_from_the_clean_text_base():
    assert {"workflows.web.forms", "documents.forms", "core.admin"} <= set(FORM_MODULES)
    for name in FORM_MODULES:
        importlib.import_module(name)
    project_forms = [
        form
        for form in {*_subclasses(forms.Form), *_subclasses(forms.ModelForm)}
        if form.__module__.split(".")[0] in PROJECT_APPS
        and not form.__module__.startswith("core.forms")
    ]
    assert len(project_forms) > 10
    offenders = [
        f"{f.__module__}.{f.__name__}"
        for f in project_forms
        if not issubclass(f, (CleanTextForm, CleanTextModelForm))
    ]
    assert not offenders, offenders


def test_every_input_serializer_refuses_control_characters_in_its_text_fields(db):
    inputs = [s for s in _subclasses(api_serializers.InputSerializer)]
    assert len(inputs) >= 12
    checked = 0
    for serializer_class in inputs:
        for field in serializer_class().fields.values():
            if isinstance(field, serializers.CharField):
                with pytest.raises(serializers.ValidationError):
                    field.run_validation("Hòa\x07An")
                checked += 1
    assert checked >= 20


def test_parse_takes_only_an_input_serializer():
    class Loose(serializers.Serializer):
        text = serializers.CharField()

    with pytest.raises(TypeError):
        parse(Loose, {"text": "x"})


@pytest.mark.parametrize("character", ["\x00", "\x08", "\x1f", "\x85"])
def test_the_api_refuses_a_control_character_and_writes_nothing(world, character):
    body = {**INITIATIVE, "unit_code": world.district.commune.code, "title": f"Mô{character}hình"}
    response = api(world.district.official).post("/api/v1/initiatives/", body, format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("title: ")
    if character != "\x00":  # DRF refuses NUL itself ("Null characters are not allowed")
        assert f"U+{ord(character):04X}" in response.json()["detail"]
    assert not Initiative.objects.exists()


def test_the_web_form_refuses_a_control_character_and_writes_nothing(world):
    d = world.district
    client = Client()
    client.force_login(d.official)
    response = client.post(
        "/initiatives/new/",
        {
            "unit_code": d.commune.code,
            "title": "Dân vận khéo\x00",
            "kind": "collective",
            "fields": ["economy"],
            "phase": Phase.objects.get(code="2021-2025").pk,
            "registered_on": "01/03/2023",
        },
    )
    assert response.status_code == 200
    assert "U+0000" in str(response.context["form"].errors["title"])
    assert not Initiative.objects.exists()


def test_the_admin_refuses_a_control_character(world):
    from core.tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    unit = world.district.commune
    response = client.post(
        f"/admin/core/unit/{unit.pk}/change/",
        {"code": unit.code, "name": "Xã\x07", "kind": unit.kind, "parent": unit.parent_id},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["name"]
    unit.refresh_from_db()
    assert "\x07" not in unit.name


BAD_DATES = {
    "0001-01-01": "sớm hơn ngày bắt đầu ghi nhận",
    "2999-12-31": "trong tương lai",
    "2008-12-31": "sớm hơn ngày bắt đầu ghi nhận",
}


@pytest.mark.parametrize(("date", "words"), BAD_DATES.items())
def test_the_api_bounds_the_registration_date(world, date, words):
    body = {**INITIATIVE, "unit_code": world.district.commune.code, "registered_on": date}
    response = api(world.district.official).post("/api/v1/initiatives/", body, format="json")
    assert response.status_code == 400, response.content
    assert words in response.json()["detail"]
    assert not Initiative.objects.exists()


def test_a_registration_after_its_phase_is_refused_and_inside_it_accepted(world):
    client = api(world.district.official)
    body = {
        **INITIATIVE,
        "unit_code": world.district.commune.code,
        "phase": "2016-2020",
        "registered_on": "2021-03-01",
    }
    response = client.post("/api/v1/initiatives/", body, format="json")
    assert response.status_code == 400
    assert "sau ngày kết thúc giai đoạn (31/12/2020)" in response.json()["detail"]
    body["registered_on"] = "2019-03-01"
    assert client.post("/api/v1/initiatives/", body, format="json").status_code == 201


def test_the_web_form_bounds_the_registration_date(world):
    d = world.district
    client = Client()
    client.force_login(d.official)
    response = client.post(
        "/initiatives/new/",
        {
            "unit_code": d.commune.code,
            "title": "Dân vận khéo",
            "kind": "collective",
            "fields": ["economy"],
            "phase": Phase.objects.get(code="2021-2025").pk,
            "registered_on": "31/12/2999",
        },
    )
    assert "trong tương lai" in response.content.decode()
    assert not Initiative.objects.exists()


def test_the_importer_bounds_the_registration_date(world, tmp_path):
    header = "code,title,unit_code,kind,fields,phase,registered_on\n"
    commune = world.district.commune.code
    rows = (
        f"MH1,Mô hình 1,{commune},collective,economy,2021-2025,01/01/0001\n"
        f"MH2,Mô hình 2,{commune},collective,economy,2021-2025,31/12/2999\n"
        f"MH3,Mô hình 3,{commune},collective,economy,2016-2020,01/03/2022\n"
    )
    result = run("import_initiatives", write_csv(tmp_path, header + rows))
    assert result.failed
    assert result.errors[:3] == [
        "line 2, column registered_on: ngày đăng ký 01/01/0001 sớm hơn ngày bắt đầu ghi nhận "
        "của phong trào (01/01/2009)",
        "line 3, column registered_on: ngày đăng ký 31/12/2999 là ngày trong tương lai",
        "line 4, column registered_on: ngày đăng ký 01/03/2022 sau ngày kết thúc giai đoạn "
        "(31/12/2020)",
    ]
    assert not Initiative.objects.exists()
