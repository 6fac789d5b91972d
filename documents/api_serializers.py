"""Serializers of the documents' API that other apps' serializers embed (no import of them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from rest_framework import serializers

from .signatures import SignatureState


class SignatureSerializer(serializers.Serializer):
    """Whether a document's PDF is digitally signed, by whom, and whether it still validates."""

    status = serializers.ChoiceField(
        choices=[
            SignatureState.UNSIGNED,
            SignatureState.VALID,
            SignatureState.INVALID,
        ],
        help_text=gettext_lazy(
            "unsigned; valid (intact, trusted, in its validity period); invalid (see problem)."
        ),
    )
    source = serializers.ChoiceField(
        choices=["signer", "seal"],
        allow_null=True,
        help_text=gettext_lazy("signer: the signer's own token; seal: the body's key."),
    )
    signer = serializers.CharField(allow_null=True)
    issuer = serializers.CharField(
        allow_null=True, help_text=gettext_lazy("The certification authority.")
    )
    signed_at = serializers.DateTimeField(allow_null=True)
    problem = serializers.CharField(allow_null=True)
