"""System checks (``manage.py check``, and every start of the web and the worker): the
digital signature settings are usable before the first signature is needed."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.checks import Error, Warning, register


@register("documents")
def signature_settings_check(app_configs=None, **kwargs) -> list:
    from . import signing

    problems = []
    path = settings.DOCUMENTS_TRUSTED_CA_FILE
    if path:
        if not os.path.isfile(path):
            problems.append(
                Error(
                    f"DOCUMENTS_TRUSTED_CA_FILE {path} does not exist.",
                    hint="A PEM file of the trusted root certificates.",
                    id="documents.E001",
                )
            )
        else:
            try:
                if not signing.trusted_roots():
                    raise ValueError("no certificate in it")
            except Exception as error:  # noqa: BLE001 - reported as the check's finding
                problems.append(
                    Error(
                        f"DOCUMENTS_TRUSTED_CA_FILE {path} is not a PEM file of certificates "
                        f"({error}).",
                        id="documents.E002",
                    )
                )
    for code in settings.DOCUMENTS_SEAL_KEYS:
        try:
            key = signing.seal_key(code)
        except (TypeError, ValueError) as error:
            problems.append(Error(str(error), id="documents.E003"))
            continue
        if key.pkcs12 and not os.path.isfile(key.pkcs12):
            problems.append(
                Error(
                    f"DOCUMENTS_SEAL_KEYS[{code!r}]: {key.pkcs12} does not exist.",
                    id="documents.E004",
                )
            )
        secret = key.password_env or key.pin_env
        if secret and secret not in os.environ:
            problems.append(
                Warning(
                    f"DOCUMENTS_SEAL_KEYS[{code!r}]: the environment variable {secret} is not "
                    "set here; sealing fails where it is missing.",
                    id="documents.W001",
                )
            )
    return problems
