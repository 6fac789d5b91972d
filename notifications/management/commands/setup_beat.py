from django.core.management.base import BaseCommand

from notifications.beat import SCHEDULES, setup_beat


class Command(BaseCommand):
    help = (
        "Create the Celery beat schedules (django-celery-beat rows) that are missing; rows "
        "that exist, edited in the admin or not, are left as they are."
    )

    def handle(self, *args, **options):
        created = setup_beat()
        for name in SCHEDULES:
            state = "created" if name in created else "present"
            self.stdout.write(f"{state:8} {name}")
