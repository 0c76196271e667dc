from django.core.management.base import BaseCommand

from kampungkb.archive import export_archive


class Command(BaseCommand):
    help = (
        "Write one archive (ZIP) of every row of the database and every file of MEDIA_ROOT "
        "and PRIVATE_MEDIA_ROOT (activity photos). "
        "Restore it with import_archive, into SQLite or PostgreSQL."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="where to write the archive, e.g. kampungkb-2025-01.zip")

    def handle(self, *args, **options):
        export_archive(options["file"], stdout=self.stdout)
