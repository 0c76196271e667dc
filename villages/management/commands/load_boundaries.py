from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from villages.boundaries import MAX_FILE_BYTES, BoundaryError, load


class Command(BaseCommand):
    help = (
        "Load kelurahan/desa boundaries from a GeoJSON FeatureCollection in the format of "
        "villages/data/tangsel_kelurahan.geojson (matched by the kemendagri_code property) "
        "and rebuild their kecamatan and city outlines. Idempotent; nothing is saved if any "
        "feature is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("geojson_file", type=Path)

    def handle(self, *args, geojson_file: Path, **options):
        try:
            if geojson_file.stat().st_size > MAX_FILE_BYTES:
                raise CommandError(_("The file is larger than 50 MB."))
            text = geojson_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": geojson_file, "error": exc}
            ) from exc
        try:
            result = load(text)
        except BoundaryError as exc:
            for error in exc.errors:
                self.stderr.write(error)
            raise CommandError(
                _("%(n)d bad feature(s); nothing was saved.") % {"n": len(exc.errors)}
            ) from exc
        self.stdout.write(
            _("Boundaries saved: %(kel)d kelurahan, %(kec)d kecamatan, %(kota)d city/regency.")
            % {"kel": result.kelurahan, "kec": result.kecamatan, "kota": result.kota}
        )
