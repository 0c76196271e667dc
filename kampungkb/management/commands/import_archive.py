from django.core.management.base import BaseCommand, CommandError

from kampungkb.archive import ArchiveError, import_archive


class Command(BaseCommand):
    help = (
        "Restore an archive written by export_archive into this (migrated) database, "
        "MEDIA_ROOT and PRIVATE_MEDIA_ROOT. Without --replace the database must hold no "
        "users or sites and both folders must be empty; with it, all three are replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the archive to restore")
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "overwrite a database that already holds data and replace the contents of "
                "MEDIA_ROOT and PRIVATE_MEDIA_ROOT (everything in them is lost)"
            ),
        )

    def handle(self, *args, **options):
        try:
            import_archive(
                options["file"],
                replace=options["replace"],
                stdout=self.stdout,
                warn=lambda message: self.stderr.write(message, self.style.WARNING),
            )
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
