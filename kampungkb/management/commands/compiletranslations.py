from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def compile_catalogs(verbosity: int = 1, stdout=None) -> int:
    """Compile every locale/*/LC_MESSAGES/*.po whose .mo is missing or older."""
    count = 0
    for locale_dir in map(Path, settings.LOCALE_PATHS):
        for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            count += 1
            if verbosity and stdout:
                stdout.write(f"compiled {po_path.relative_to(settings.BASE_DIR)}")
    return count


class Command(BaseCommand):
    help = (
        "Compile locale/*.po to .mo in pure Python (polib), so no GNU gettext is needed. "
        "Only catalogs whose .po changed are compiled."
    )

    def handle(self, *args, **options):
        compile_catalogs(options["verbosity"], self.stdout)
