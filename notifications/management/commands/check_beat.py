from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.beat import HEARTBEAT_SCHEDULE, beat_last_run


class Command(BaseCommand):
    help = (
        "Exit 0 when Celery beat sent its every-minute task recently, 1 otherwise (the "
        "health check of docker-compose.yml's beat). django-celery-beat records a run every "
        "3 minutes, so the default allowance is 5 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=300, help="seconds (default 300)")

    def handle(self, *args, max_age: int, **options):
        last = beat_last_run()
        if last is None:
            raise CommandError(f"beat has never run “{HEARTBEAT_SCHEDULE}”")
        age = (timezone.now() - last).total_seconds()
        if age > max_age:
            raise CommandError(f"beat last ran “{HEARTBEAT_SCHEDULE}” {age:.0f} s ago")
        self.stdout.write(f"beat ran “{HEARTBEAT_SCHEDULE}” {age:.0f} s ago")
