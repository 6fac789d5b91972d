"""Vietnamese first, English second: dates, the catalogue of core's words, the pages."""

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.auth.models import AbstractUser
from django.utils import translation
from django.utils.formats import date_format
from django.utils.functional import Promise

from core.models import Initiative, InitiativeStatus, Unit

SEPTEMBER_30 = dt.date(2023, 9, 30)


def test_dates_follow_the_vietnamese_administrative_style():
    with translation.override("vi"):
        assert date_format(SEPTEMBER_30, "DATE_FORMAT") == "ngày 30 tháng 9 năm 2023"
        assert date_format(SEPTEMBER_30, "SHORT_DATE_FORMAT") == "30/09/2023"


def test_dates_are_english_in_the_english_locale():
    with translation.override("en"):
        assert date_format(SEPTEMBER_30, "DATE_FORMAT") == "Sept. 30, 2023"


def test_a_translated_word_is_vietnamese_in_vi_and_english_in_en():
    with translation.override("vi"):
        assert str(Initiative._meta.verbose_name) == "mô hình"
        assert str(Unit._meta.verbose_name) == "đơn vị"
        assert str(InitiativeStatus.RECOGNISED.label) == "Đã công nhận"
    with translation.override("en"):
        assert str(Initiative._meta.verbose_name) == "initiative"
        assert str(Unit._meta.verbose_name) == "unit"
        assert str(InitiativeStatus.RECOGNISED.label) == "Recognised"


def _core_words():
    """Every lazily translated word of core's models: names, fields, help texts, choices."""
    inherited = {f.name for f in AbstractUser._meta.get_fields()}
    for model in apps.get_app_config("core").get_models():
        yield model._meta.verbose_name
        yield model._meta.verbose_name_plural
        for field in model._meta.get_fields():
            if field.auto_created or field.name in inherited or not field.concrete:
                continue
            yield field.verbose_name
            if field.help_text:
                yield field.help_text
            for _value, label in field.choices or []:
                yield label


def test_every_word_of_the_core_models_has_a_vietnamese_translation():
    untranslated = []
    # Only words marked for translation: a field without a verbose_name (created_by, which the
    # admin does not show) has a plain, untranslatable name.
    for word in filter(lambda w: isinstance(w, Promise), _core_words()):
        with translation.override("en"):
            english = str(word)
        with translation.override("vi"):
            vietnamese = str(word)
        # The language picker names each language in itself: "English" stays "English".
        if english == vietnamese and english not in ("English", "Tiếng Việt"):
            untranslated.append(english)
    assert untranslated == []


def test_app_names_are_translated():
    with translation.override("vi"):
        names = {c.label: str(c.verbose_name) for c in apps.get_app_configs()}
    assert names["core"] == "Dữ liệu phong trào"
    assert names["workflows"] == "Quy trình"
    assert names["notifications"] == "Thông báo"
    assert names["documents"] == "Văn bản"


@pytest.mark.django_db
def test_home_page_is_vietnamese_by_default_and_english_on_request(client):
    vietnamese = client.get("/").content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Phong trào thi đua “Dân vận khéo”" in vietnamese
    assert "Tài liệu API" in vietnamese
    assert "“Dân vận khéo” emulation movement" in english
    assert "API documentation" in english
    assert "Tài liệu API" not in english


@pytest.mark.django_db
def test_admin_is_english_for_an_english_browser(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Administration of the “Dân vận khéo” emulation movement" in page
    assert "Initiatives" in page
    assert "Mô hình" not in page
