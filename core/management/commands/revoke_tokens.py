"""Revoke API tokens: one user's, every expired one, or all of them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.models import User
from core.tokens import tokens_revoke


class Command(BaseCommand):
    help = "Revoke API tokens (--user NAME, --expired, or --all)."

    def add_arguments(self, parser):
        parser.add_argument("--user", action="append", default=[], help="a username (repeatable)")
        parser.add_argument("--expired", action="store_true", help="only expired tokens")
        parser.add_argument("--all", action="store_true", help="every user's tokens")

    def handle(self, *args, **options):
        names = options["user"]
        if not names and not options["all"] and not options["expired"]:
            raise CommandError("Say --user NAME, --expired or --all.")
        users = None
        if names:
            users = User.objects.filter(username__in=names)
            missing = set(names) - set(users.values_list("username", flat=True))
            if missing:
                raise CommandError(f"Unknown users: {', '.join(sorted(missing))}")
        count = tokens_revoke(users=users, expired_only=options["expired"])
        self.stdout.write(f"{count} token(s) revoked.")
