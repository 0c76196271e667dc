from django.core.management.base import BaseCommand, CommandError

from kampungkb.archive import ArchiveError, import_archive


class Command(BaseCommand):
    help = (
        "Restore an archive written by export_archive into this (migrated) database and "
        "MEDIA_ROOT. The database is emptied first; without --replace it must hold no "
        "users or sites yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive to restore")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite a database that already holds data (everything in it is lost)",
        )

    def handle(self, *args, **options):
        try:
            import_archive(options["file"], replace=options["replace"], stdout=self.stdout)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
