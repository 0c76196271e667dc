from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from kampungkb.panels import module_exists

# Each app adds its demo data here, in dependency order. Every seeder is idempotent.
SEEDERS = [
    "villages.demo.seed",
    "activities.demo.seed",
    "activities.demo_coordination.seed",
    "reports.demo.seed",
]


class Command(BaseCommand):
    help = "Load the demo data (marked as demo) and the demo logins. Safe to run twice."

    def handle(self, *args, **options):
        from villages.demo import DEMO_PASSWORD, USERS

        for path in SEEDERS:
            if not module_exists(path.rsplit(".", 1)[0]):
                continue  # that app has no demo data (yet)
            import_string(path)(stdout=self.stdout)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password: {DEMO_PASSWORD}):"))
        for username, (_first, _last, description) in USERS.items():
            self.stdout.write(f"  {username:<10} {description}")
        from activities.demo_coordination import COORDINATORS

        for username, (_first, _last, agency) in COORDINATORS.items():
            if username not in USERS:
                self.stdout.write(f"  {username:<10} coordinator of {agency} (admin panel)")
