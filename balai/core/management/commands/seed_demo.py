from django.core.management.base import BaseCommand

from balai.core import demo


class Command(BaseCommand):
    help = "Load the demo villages, staff and residents (safe to run again)."

    def handle(self, *args, **options):
        villages = demo.seed()
        self.stdout.write(f"Demo data ready: {', '.join(str(v) for v in villages)}.")
