"""One-file backups of all data and uploaded files, for any database engine.

An archive is a ZIP file::

    manifest.json   format, date, Django version, applied migrations, rows and a checksum
                    of every row per table, every media file with its size and SHA-256
    data.jsonl      every row of every model (Django's JSON Lines serialization, with
                    primary keys kept and datetimes to the microsecond)
    media/...       MEDIA_ROOT as it was

``export_archive`` reads through the ORM, so the same archive restores into SQLite or
PostgreSQL. ``import_archive`` needs a database migrated to the same migrations; it
empties it (the master data the migrations loaded included), loads every row in one
transaction, checks every table's row count and row checksum and every file's hash
against the manifest, then restores the files. Anything wrong → nothing is changed in the database.
"""

import contextlib
import datetime
import decimal
import hashlib
import json
import os
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path, PurePosixPath

import django
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.python import Serializer as PythonSerializer
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from . import derived

FORMAT = "kampungkb-archive/1"


class ArchiveError(Exception):
    pass


class _ExactEncoder(json.JSONEncoder):
    """Like DjangoJSONEncoder, but datetimes and times keep their microseconds (Django's
    encoder cuts them to milliseconds, so a restore would not be exact)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, datetime.timedelta):
            return str(o.total_seconds())
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        return super().default(o)


class _LineSerializer(PythonSerializer):
    """Writes each object as one JSON line as soon as it is serialized (flat memory)."""

    def end_object(self, obj):
        self.stream.write(json.dumps(self.get_dump_object(obj), cls=_ExactEncoder) + "\n")
        self._current = None

    def getvalue(self):
        return None


def archived_models():
    """Every concrete model, parents before children."""
    app_list = dict.fromkeys(apps.get_app_configs())
    return [
        model
        for model in serializers.sort_dependencies(app_list.items(), allow_cycles=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _normal(value):
    """A value's engine-independent text (PostgreSQL's jsonb reorders keys, SQLite does not)."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, cls=_ExactEncoder)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    if isinstance(value, memoryview | bytes):
        return hashlib.sha256(bytes(value)).hexdigest()
    return repr(value)


def table_checksums():
    """``{table: [rows, sha256]}``: the SHA-256 over the sorted hashes of every row. The
    surrogate id of automatic many-to-many tables is left out (a restore renumbers it)."""
    result = {}
    for model in apps.get_models(include_auto_created=True):
        opts = model._meta
        if not opts.managed or opts.proxy:
            continue
        columns = [f.attname for f in opts.concrete_fields]
        if opts.auto_created:
            columns.remove(opts.pk.attname)
        rows = sorted(
            hashlib.sha256("\x1f".join(map(_normal, row)).encode()).hexdigest()
            for row in model._base_manager.values_list(*columns).iterator(chunk_size=2000)
        )
        result[opts.db_table] = [len(rows), hashlib.sha256("".join(rows).encode()).hexdigest()]
    return dict(sorted(result.items()))


def applied_migrations(using=DEFAULT_DB_ALIAS):
    recorder = MigrationRecorder(connections[using])
    return sorted([app, name] for app, name in recorder.applied_migrations())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def media_files(root: Path):
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def export_archive(target, stdout=None) -> dict:
    """Write the archive to ``target`` (a path); returns its manifest."""
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "data.jsonl"
        # One read transaction: the rows and the counts describe the same moment.
        with transaction.atomic(), data_path.open("w", encoding="utf-8") as stream:
            for model in archived_models():
                _LineSerializer().serialize(
                    model._base_manager.order_by("pk").iterator(chunk_size=2000),
                    stream=stream,
                    use_natural_foreign_keys=False,
                    use_natural_primary_keys=False,
                )
            tables = table_checksums()
            migrations = applied_migrations()
        files = [
            {
                "path": p.relative_to(media_root).as_posix(),
                "size": p.stat().st_size,
                "sha256": _sha256(p),
            }
            for p in media_files(media_root)
        ]
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "django": django.get_version(),
            "database": connections[DEFAULT_DB_ALIAS].vendor,
            "migrations": migrations,
            "tables": tables,
            "media": files,
        }
        tmp_target = Path(f"{target}.part")
        with zipfile.ZipFile(tmp_target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=1))
            zf.write(data_path, "data.jsonl")
            for entry in files:
                # Photos are already compressed: store them as they are.
                zf.write(media_root / entry["path"], f"media/{entry['path']}", zipfile.ZIP_STORED)
        os.replace(tmp_target, target)
    if stdout:
        stdout.write(
            f"{sum(n for n, _ in tables.values())} rows in {len(tables)} tables, "
            f"{len(files)} media files "
            f"→ {target} ({Path(target).stat().st_size / 1024:.0f} KB)"
        )
    return manifest


def _fire_deferred_constraints():
    """PostgreSQL refuses to TRUNCATE a table with deferred foreign-key checks pending
    (rows written earlier in the same transaction, e.g. when called inside one)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _defer_constraints():
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def _history_paused():
    """The archive holds the audit rows already; setting many-to-many relations while
    loading must not write new ones (django-simple-history's m2m tracking would)."""
    previous = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        yield
    finally:
        settings.SIMPLE_HISTORY_ENABLED = previous


def _safe_member(name: str) -> PurePosixPath:
    """A media member's path inside MEDIA_ROOT (refuses absolute paths and "..")."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or "\\" in name or not name.startswith("media/"):
        raise ArchiveError(f"unsafe path in archive: {name!r}")
    return PurePosixPath(*path.parts[1:])


def database_has_data() -> bool:
    from villages.models import KampungKB

    from .models import User

    return User.objects.exists() or KampungKB.objects.exists()


def import_archive(source, replace=False, stdout=None) -> dict:
    """Restore ``source`` into the (migrated) default database and MEDIA_ROOT."""
    try:
        zf = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ArchiveError(f"not an archive: {exc}") from None
    with zf, tempfile.TemporaryDirectory() as tmp:
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except (KeyError, ValueError) as exc:
            raise ArchiveError(f"archive without a valid manifest: {exc}") from None
        if manifest.get("format") != FORMAT:
            raise ArchiveError(f"unknown archive format {manifest.get('format')!r}")
        if manifest["migrations"] != applied_migrations():
            raise ArchiveError(
                "the database is not migrated to the same migrations as the archive: "
                "run `manage.py migrate` with the same version of the portal first"
            )
        if database_has_data() and not replace:
            raise ArchiveError(
                "the database already holds users or sites; use --replace to overwrite it"
            )
        members = {name: _safe_member(name) for name in zf.namelist() if name.startswith("media/")}
        expected = {entry["path"]: entry for entry in manifest["media"]}
        if {m.as_posix() for m in members.values()} != set(expected):
            raise ArchiveError("the media files do not match the manifest")
        data_path = Path(tmp) / "data.jsonl"
        with zf.open("data.jsonl") as src, data_path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        staged = Path(tmp) / "media"
        for name, relative in members.items():
            out = staged / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(name) as src, out.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            entry = expected[relative.as_posix()]
            if _sha256(out) != entry["sha256"]:
                raise ArchiveError(f"corrupt media file in archive: {relative}")

        with transaction.atomic(), _history_paused(), derived.paused():
            # Empty every table (the master data and groups the migrations created too:
            # the archive holds them, with their ids) and load the rows as they were.
            _fire_deferred_constraints()
            call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
            # Back to deferred checks for the load: models that refer to each other (cycles
            # in the dependency sort) cannot all be inserted parents-first; loaddata checks
            # every foreign key once the rows are in.
            _defer_constraints()
            call_command("loaddata", str(data_path), verbosity=0)
            ContentType.objects.clear_cache()
            # Every row as it was: the same count and checksum per table, or nothing.
            tables = table_checksums()
            if tables != manifest["tables"]:
                diff = {
                    t: (manifest["tables"].get(t), tables.get(t))
                    for t in set(tables) | set(manifest["tables"])
                    if tables.get(t) != manifest["tables"].get(t)
                }
                raise ArchiveError(f"tables differ after loading (archive, database): {diff}")

        media_root = Path(settings.MEDIA_ROOT)
        for relative in members.values():
            out = media_root / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged / relative, out)
    if stdout:
        stdout.write(
            f"{sum(n for n, _ in manifest['tables'].values())} rows in "
            f"{len(manifest['tables'])} tables and "
            f"{len(members)} media files restored from {source}"
        )
    return manifest
