"""One-file backups of all data and uploaded files, for any database engine.

An archive is a ZIP file::

    manifest.json   format, date, Django version, applied migrations, rows and a checksum
                    of every row per table, every file of both roots with its size and SHA-256
    data.jsonl      every row of every model (Django's JSON Lines serialization, with
                    primary keys kept and datetimes to the microsecond)
    media/...       MEDIA_ROOT as it was (public uploads: site photos, SK files)
    private/...     PRIVATE_MEDIA_ROOT as it was (activity photos and any other private file)

Every file of both roots is archived, referenced by a row or not (a backup takes everything).
Format 1 archives (made before the private root was archived) hold no ``private/`` part;
they still restore, leaving PRIVATE_MEDIA_ROOT as it is, with a warning.

``export_archive`` reads through the ORM, so the same archive restores into SQLite or
PostgreSQL. ``import_archive`` needs a database migrated to the same migrations. Before it
touches anything it checks every member's name (no absolute path, "..", symbolic link or
member the manifest does not list) and extracts each root's files into a hidden staging
folder inside that root, checking every size and SHA-256. Then, in one transaction, it empties
the database (the master data the migrations loaded included), loads every row, checks every
table's row count and row checksum against the manifest and moves the staged files into place
(with ``--replace`` the roots' previous contents are first moved aside, and deleted only once
the transaction has committed). Anything wrong → the database and both roots are left as they
were.
"""

import contextlib
import datetime
import decimal
import hashlib
import json
import os
import shutil
import stat
import tempfile
import uuid
import zipfile
import zlib
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

FORMAT = "kampungkb-archive/2"
# Older formats still restored, with the roots they hold.
OLD_FORMATS = {"kampungkb-archive/1": ("media",)}
# Each root of files: its member prefix (also its key in the manifest) and its setting.
ROOTS = {"media": "MEDIA_ROOT", "private": "PRIVATE_MEDIA_ROOT"}
NO_PRIVATE_FILES_WARNING = (
    "This archive was made before activity photos were backed up: it holds no private files, "
    "PRIVATE_MEDIA_ROOT is left as it is."
)


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


def media_files(root: Path):
    """Every regular file under ``root``. Symbolic links are left out: the portal never
    makes any, and a link could lead outside the root."""
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def root_paths() -> dict[str, Path]:
    """``{"media": MEDIA_ROOT, "private": PRIVATE_MEDIA_ROOT}``, resolved. Refuses roots that
    overlap: the private files would be archived (and restored) twice, and published."""
    roots = {key: Path(getattr(settings, name)).resolve() for key, name in ROOTS.items()}
    media, private = roots["media"], roots["private"]
    if media == private or media in private.parents or private in media.parents:
        raise ArchiveError(
            "MEDIA_ROOT and PRIVATE_MEDIA_ROOT must be two separate folders, neither inside "
            "the other"
        )
    return roots


def _write_files(zf: zipfile.ZipFile, prefix: str, root: Path) -> list[dict]:
    """Write every file of ``root`` under ``prefix/``; returns their manifest entries. The
    hash and size are taken from the bytes written, so they describe what is in the ZIP."""
    entries = []
    for path in media_files(root):
        relative = path.relative_to(root).as_posix()
        digest, size = hashlib.sha256(), 0
        try:
            info = zipfile.ZipInfo.from_file(path, f"{prefix}/{relative}", strict_timestamps=False)
            # Photos and PDFs are already compressed: store them as they are.
            info.compress_type = zipfile.ZIP_STORED
            with path.open("rb") as src, zf.open(info, "w") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    dst.write(chunk)
        except FileNotFoundError:
            continue  # removed while the archive was written (e.g. a deleted photo)
        entries.append({"path": relative, "size": size, "sha256": digest.hexdigest()})
    return entries


def export_archive(target, stdout=None) -> dict:
    """Write the archive to ``target`` (a path); returns its manifest."""
    roots = root_paths()
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
        tmp_target = Path(f"{target}.part")
        with zipfile.ZipFile(tmp_target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(data_path, "data.jsonl")
            files = {key: _write_files(zf, key, root) for key, root in roots.items()}
            manifest = {
                "format": FORMAT,
                "created_at": timezone.now().isoformat(),
                "django": django.get_version(),
                "database": connections[DEFAULT_DB_ALIAS].vendor,
                "migrations": migrations,
                "tables": tables,
                **files,
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        os.replace(tmp_target, target)
    if stdout:
        stdout.write(
            f"{sum(n for n, _ in tables.values())} rows in {len(tables)} tables, "
            f"{len(files['media'])} media files, {len(files['private'])} private files "
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
    """A file member's path inside its root (``media/a/b.jpg`` → ``a/b.jpg``). Refuses
    absolute paths, "..", "." and empty parts, backslashes and NUL: what is left is a
    normalised path that cannot leave the root."""
    parts = name.split("/")
    if (
        PurePosixPath(name).is_absolute()
        or "\\" in name
        or "\x00" in name
        or len(parts) < 2
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise ArchiveError(f"unsafe path in archive: {name!r}")
    return PurePosixPath(*parts[1:])


def _read_manifest(zf: zipfile.ZipFile) -> tuple[dict, tuple[str, ...], dict[str, dict]]:
    """The manifest, the roots the archive holds and ``{member name: entry}`` of its files."""
    try:
        manifest = json.loads(zf.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise ArchiveError(f"archive without a valid manifest: {exc}") from None
    fmt = manifest.get("format") if isinstance(manifest, dict) else None
    keys = tuple(ROOTS) if fmt == FORMAT else OLD_FORMATS.get(fmt)
    if keys is None:
        raise ArchiveError(f"unknown archive format {fmt!r}")
    if not isinstance(manifest.get("tables"), dict) or not isinstance(
        manifest.get("migrations"), list
    ):
        raise ArchiveError("archive without a valid manifest: no tables or migrations")
    files = {}
    for key in keys:
        entries = manifest.get(key)
        if not isinstance(entries, list):
            raise ArchiveError(f"archive without a valid manifest: no list of {key} files")
        for entry in entries:
            valid = (
                isinstance(entry, dict)
                and isinstance(entry.get("path"), str)
                and type(entry.get("size")) is int
                and entry["size"] >= 0
                and isinstance(entry.get("sha256"), str)
            )
            if not valid:
                raise ArchiveError(f"invalid file entry in the manifest: {str(entry)[:200]}")
            name = f"{key}/{entry['path']}"
            _safe_member(name)
            if name in files:
                raise ArchiveError(f"file listed twice in the manifest: {name!r}")
            files[name] = entry
    return manifest, keys, files


def _check_members(zf: zipfile.ZipFile, files: dict[str, dict]) -> None:
    """Every member is the manifest, the rows or a file the manifest lists (same size), a
    regular file with a safe name; every listed file is there."""
    names = set()
    for info in zf.infolist():
        name = info.filename
        if name in names:
            raise ArchiveError(f"member twice in archive: {name!r}")
        names.add(name)
        if name in ("manifest.json", "data.jsonl"):
            continue
        _safe_member(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"symbolic link in archive: {name!r}")
        if name not in files:
            raise ArchiveError(f"member not listed in the manifest: {name!r}")
        if info.file_size != files[name]["size"]:
            raise ArchiveError(f"corrupt file in archive: {name}")
    missing = sorted(set(files) - names)
    if missing:
        raise ArchiveError(
            f"files listed in the manifest are missing from the archive: {missing[:5]}"
        )
    if "data.jsonl" not in names:
        raise ArchiveError("archive without data.jsonl")


def _extract(zf: zipfile.ZipFile, name: str, entry: dict, out: Path) -> None:
    """Copy one member to ``out``, refusing more bytes than the manifest says (a ZIP bomb)
    or a different SHA-256."""
    out.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    try:
        with zf.open(name) as src, out.open("wb") as dst:
            while chunk := src.read(1 << 20):
                size += len(chunk)
                if size > entry["size"]:
                    break
                digest.update(chunk)
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ArchiveError(f"damaged archive member {name}: {exc}") from None
    if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
        raise ArchiveError(f"corrupt file in archive: {name}")


class _Swap:
    """Puts a root's staged files in place, and can take them out again.

    The staging folder is inside the root, so every move is a rename on one file system.
    Without ``replace`` the root was empty; with it, its previous entries are moved aside
    (into another hidden folder of the root) and deleted only by ``discard``."""

    def __init__(self, root: Path, staging: Path, replace: bool):
        self.root, self.staging = root, staging
        self.aside = (
            Path(tempfile.mkdtemp(prefix=".import-replaced-", dir=root)) if replace else None
        )
        self.moved_aside, self.placed = [], []

    def apply(self):
        for entry in sorted(self.root.iterdir()):
            if entry not in (self.staging, self.aside):
                os.replace(entry, self.aside / entry.name)
                self.moved_aside.append(entry.name)
        for entry in sorted(self.staging.iterdir()):
            os.replace(entry, self.root / entry.name)
            self.placed.append(entry.name)

    def undo(self):
        for name in reversed(self.placed):
            os.replace(self.root / name, self.staging / name)
        for name in reversed(self.moved_aside):
            os.replace(self.aside / name, self.root / name)
        self.discard()

    def discard(self):
        if self.aside:
            shutil.rmtree(self.aside, ignore_errors=True)


def _root_is_empty(root: Path) -> bool:
    return not root.exists() or not any(root.iterdir())


def database_has_data() -> bool:
    from villages.models import KampungKB

    from .models import User

    return User.objects.exists() or KampungKB.objects.exists()


def import_archive(source, replace=False, stdout=None, warn=None) -> dict:
    """Restore ``source`` into the (migrated) default database, MEDIA_ROOT and
    PRIVATE_MEDIA_ROOT (only MEDIA_ROOT for a format 1 archive: ``warn`` is called with
    ``NO_PRIVATE_FILES_WARNING``)."""
    try:
        zf = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ArchiveError(f"not an archive: {exc}") from None
    roots = root_paths()
    staged: dict[str, Path] = {}
    swaps: list[_Swap] = []
    with zf, tempfile.TemporaryDirectory() as tmp:
        manifest, keys, files = _read_manifest(zf)
        if manifest["migrations"] != applied_migrations():
            raise ArchiveError(
                "the database is not migrated to the same migrations as the archive: "
                "run `manage.py migrate` with the same version of the portal first"
            )
        if database_has_data() and not replace:
            raise ArchiveError(
                "the database already holds users or sites; use --replace to overwrite it"
            )
        for key in keys:
            if not replace and not _root_is_empty(roots[key]):
                raise ArchiveError(
                    f"{ROOTS[key]} ({roots[key]}) is not empty; use --replace to replace "
                    "its contents"
                )
        _check_members(zf, files)
        data_path = Path(tmp) / "data.jsonl"
        with zf.open("data.jsonl") as src, data_path.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        try:
            for key in keys:
                roots[key].mkdir(parents=True, exist_ok=True)
                staged[key] = Path(tempfile.mkdtemp(prefix=".import-", dir=roots[key]))
            for name, entry in files.items():
                key = name.split("/", 1)[0]
                _extract(zf, name, entry, staged[key] / _safe_member(name))

            with transaction.atomic(), _history_paused(), derived.paused():
                # Empty every table (the master data and groups the migrations created
                # too: the archive holds them, with their ids) and load the rows as they were.
                _fire_deferred_constraints()
                call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
                # Back to deferred checks for the load: models that refer to each other
                # (cycles in the dependency sort) cannot all be inserted parents-first;
                # loaddata checks every foreign key once the rows are in.
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
                # The files last, still inside the transaction: a failure here rolls the
                # rows back, and a failed commit puts the previous files back (below).
                for key, staging in staged.items():
                    swaps.append(_Swap(roots[key], staging, replace))
                    swaps[-1].apply()
        except BaseException:
            for swap in reversed(swaps):
                swap.undo()
            raise
        finally:
            for staging in staged.values():
                shutil.rmtree(staging, ignore_errors=True)
        for swap in swaps:
            swap.discard()
    if len(keys) < len(ROOTS):
        (warn or print)(NO_PRIVATE_FILES_WARNING)
    if stdout:
        counts = {key: sum(name.startswith(f"{key}/") for name in files) for key in keys}
        stdout.write(
            f"{sum(n for n, _ in manifest['tables'].values())} rows in "
            f"{len(manifest['tables'])} tables, {counts['media']} media files and "
            f"{counts.get('private', 0)} private files restored from {source}"
        )
    return manifest
