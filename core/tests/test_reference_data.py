import pytest
from django.core.management import call_command

from core.models import Field, Phase


@pytest.mark.django_db(transaction=True)
def test_flush_puts_the_reference_data_back():
    # Transactional tests end with a flush; the fields and phases must survive it.
    call_command("flush", interactive=False, verbosity=0)
    assert set(Field.objects.values_list("code", flat=True)) >= {
        "economy",
        "culture_society",
        "defence_security",
        "political_system",
        "new_rural",
        "admin_reform",
        "front_unions",
        "party_government",
    }
    phase = Phase.objects.get(code="2016-2020")
    assert (phase.starts_on.isoformat(), phase.ends_on.isoformat()) == ("2016-01-01", "2020-12-31")
