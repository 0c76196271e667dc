from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from villages.wilayah import WilayahError, load


class Command(BaseCommand):
    help = (
        "Load Kemendagri region codes (kota/kabupaten, kecamatan, kelurahan/desa) from a CSV "
        "in the format of villages/data/tangsel_wilayah.csv. Idempotent; nothing is saved if "
        "any row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv_file", type=Path)

    def handle(self, *args, csv_file: Path, **options):
        try:
            text = csv_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": csv_file, "error": exc}
            ) from exc
        try:
            result = load(text)
        except WilayahError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                _("%(n)d bad row(s); nothing was saved.") % {"n": len(exc.errors)}
            ) from exc
        for model in ("Kota", "Kecamatan", "Kelurahan"):
            self.stdout.write(
                _("%(model)s: %(created)d new, %(updated)d updated")
                % {
                    "model": model,
                    "created": result.created[model],
                    "updated": result.updated[model],
                }
            )
