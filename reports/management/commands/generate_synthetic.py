import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports.models import QualityScore
from reports.recompute import recompute_all
from reports.sustainability import add_months
from reports.synthetic import GENERATED_MODELS, generate, vacuum_analyze


class Command(BaseCommand):
    help = (
        "Build synthetic regions, Kampung KB sites, snapshots and activities at scale (for "
        "the benchmark; marked as demo data), then compute their monthly quality rows."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, required=True, help="number of sites")
        parser.add_argument("--years", type=int, default=5, help="years of history")
        parser.add_argument("--seed", type=int, default=1, help="random seed")
        parser.add_argument(
            "--no-recompute",
            action="store_true",
            help="skip the monthly quality rows (run recompute_quality later)",
        )

    def handle(self, *args, sites, years, seed, no_recompute, **options):
        if sites < 1 or years < 1:
            raise CommandError("--sites and --years must be at least 1.")
        started = time.monotonic()
        summary = generate(sites, years, seed, stdout=self.stdout)
        self.stdout.write(
            f"Generated in {time.monotonic() - started:.1f} s: {summary.sites} sites, "
            f"{summary.activities} activities ({summary.agency_links} agency links), "
            f"{summary.profiles + summary.populations + summary.figures} snapshots."
        )
        if not no_recompute:
            started = time.monotonic()
            first = add_months(timezone.localdate().replace(day=1), -12 * years + 1)
            rows = recompute_all(stdout=self.stdout, first=first)
            self.stdout.write(f"Quality rows: {rows} in {time.monotonic() - started:.1f} s.")
        started = time.monotonic()
        vacuum_analyze([*GENERATED_MODELS, QualityScore])
        self.stdout.write(f"VACUUM (ANALYZE) in {time.monotonic() - started:.1f} s.")
