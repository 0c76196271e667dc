"""Backups that lose nothing: the demo data, its files and activity photos uploaded through
the phone form, through export_archive and import_archive into an empty database and empty
media folders, compared table by table, row by row and byte by byte."""

import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from activities.models import Activity, ActivityPhoto
from kampungkb import archive as archive_module
from kampungkb.archive import NO_PRIVATE_FILES_WARNING, _fire_deferred_constraints, table_checksums
from kampungkb.settings.base import BASE_DIR
from villages.models import KampungKB, ProfileSnapshot

from . import factories as f
from .test_activity_input import CREATE, form_data

pytestmark = pytest.mark.django_db


def media_hashes():
    root = Path(settings.MEDIA_ROOT)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def files_of(root):
    """``{path: bytes}`` of every file under ``root``."""
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def all_files():
    return {
        "media": files_of(settings.MEDIA_ROOT),
        "private": files_of(settings.PRIVATE_MEDIA_ROOT),
    }


def empty_roots():
    for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT):
        for entry in Path(root).iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def quiet():
    return open(os.devnull, "w")  # noqa: SIM115


def export(path):
    call_command("export_archive", str(path), stdout=quiet())
    return path


@pytest.fixture
def uploaded_photos(site_a, pokja_a, client_for):
    """Two activities with photos uploaded through the phone form (the real upload path:
    validation, re-encoding, thumbnail, private storage), and a private file no row refers
    to (e.g. a job's result): a backup takes it too."""
    client = client_for(pokja_a)
    images = [
        [f.image_file("a.jpg", size=(900, 600), color=(10, 90, 200))],
        [f.image_file("b.jpg", color=(250, 0, 0)), f.image_file("c.png", fmt="PNG")],
    ]
    for photos in images:
        response = client.post(CREATE, form_data(site_a, photos=photos))
        assert response.status_code == 302, response.content.decode()[:2000]
    orphan = Path(settings.PRIVATE_MEDIA_ROOT) / "jobs" / "hasil.csv"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"kolom;nilai\n1;2\n")
    photos = list(ActivityPhoto.objects.filter(activity__site=site_a))
    assert len(photos) == 3
    return photos


@pytest.fixture
def demo_with_files(db):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    site = KampungKB.objects.order_by("pk").first()
    site.photo = f.image_file("foto.jpg")
    site.org_chart = f.image_file("bagan.png", fmt="PNG")
    site.save()
    profile = ProfileSnapshot.objects.filter(site=site).order_by("-period").first()
    profile.sk_file = SimpleUploadedFile("sk.pdf", b"%PDF-1.4\n%%EOF\n")
    profile.save()
    return site


def test_demo_data_and_activity_photos_round_trip_through_the_archive(
    demo_with_files, uploaded_photos, tmp_path
):
    before = table_checksums()
    files_before = all_files()
    assert len(files_before["media"]) == 3
    uploaded = {name for p in uploaded_photos for name in (p.image.name, p.thumbnail.name)}
    assert len(uploaded) == 6
    assert uploaded < files_before["private"].keys()  # with the demo's photos and the orphan
    assert "jobs/hasil.csv" in files_before["private"]
    assert sum(n for n, _ in before.values()) > 1000  # the demo, its history, master data
    archive = export(tmp_path / "cadangan.zip")

    # An empty database (as after `migrate` on a new server, minus its master data) and
    # empty media folders.
    _fire_deferred_constraints()  # PostgreSQL: rows written in this test's transaction
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    empty_roots()
    assert all(n == 0 for n, _ in table_checksums().values())
    assert all_files() == {"media": {}, "private": {}}

    out = io.StringIO()
    call_command("import_archive", str(archive), stdout=out)
    assert f"{len(files_before['private'])} private files restored" in out.getvalue()
    after = table_checksums()
    assert after.keys() == before.keys()
    differing = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert differing == {}
    assert all_files() == files_before  # every file of both roots, byte for byte
    # Every photo row points at its file again.
    for photo in ActivityPhoto.objects.all():
        for field in (photo.image, photo.thumbnail):
            with field.open("rb") as handle:
                assert handle.read() == files_before["private"][field.name]
    assert not list(Path(settings.PRIVATE_MEDIA_ROOT).glob(".import-*"))  # no staging left


def test_archive_restores_into_a_new_sqlite_database(demo_with_files, tmp_path):
    """Into a freshly migrated database in another process (from PostgreSQL too, when the
    suite runs there): the archive does not depend on the engine."""
    archive = export(tmp_path / "cadangan.zip")
    expected = table_checksums()
    roots = ("DATABASE_URL", "MEDIA_ROOT", "PRIVATE_MEDIA_ROOT")
    env = {k: v for k, v in os.environ.items() if k not in roots}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'baru.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media-baru"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "privat-baru"),
        DJANGO_SETTINGS_MODULE="kampungkb.settings",
    )

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("migrate", "--no-input", "-v0")
    assert "restored" in manage("import_archive", str(archive))
    got = manage(
        "shell",
        "-c",
        "import json; from kampungkb.archive import _fire_deferred_constraints, table_checksums; "
        "print(json.dumps(table_checksums()))",
    )
    assert json.loads(got.strip().splitlines()[-1]) == expected
    restored = {
        "media": files_of(tmp_path / "media-baru"),
        "private": files_of(tmp_path / "privat-baru"),
    }
    assert restored == all_files()
    assert restored["private"]  # the demo's activity photos


def test_import_refuses_a_database_that_holds_data(demo_with_files, tmp_path):
    archive = export(tmp_path / "a.zip")
    before = table_checksums()
    with pytest.raises(CommandError, match="--replace"):
        call_command("import_archive", str(archive))
    assert table_checksums() == before
    call_command("import_archive", str(archive), replace=True, stdout=quiet())
    assert table_checksums() == before


def test_without_replace_the_media_folders_must_be_empty_with_it_they_are_replaced(
    uploaded_photos, tmp_path
):
    """--replace makes both folders hold exactly the archive's files: a file added since
    (a photo that may show a face) does not survive a restore to before it existed."""
    archive = export(tmp_path / "a.zip")
    before, files = table_checksums(), all_files()
    _fire_deferred_constraints()
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    # An empty database, but the private folder still holds the photos.
    with pytest.raises(CommandError, match=r"PRIVATE_MEDIA_ROOT .* is not empty; use --replace"):
        call_command("import_archive", str(archive))
    assert all(n == 0 for n, _ in table_checksums().values())
    assert all_files() == files

    new_photo = Path(settings.PRIVATE_MEDIA_ROOT) / "activities" / "baru.jpg"
    new_photo.write_bytes(b"foto baru")
    Path(settings.MEDIA_ROOT).mkdir()
    (Path(settings.MEDIA_ROOT) / "sisa.jpg").write_bytes(b"sisa")
    call_command("import_archive", str(archive), replace=True, stdout=quiet())
    assert table_checksums() == before
    assert all_files() == files
    assert not new_photo.exists()
    for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT):
        assert not [p.name for p in Path(root).iterdir() if p.name.startswith(".")]


def test_a_format_1_archive_still_restores_and_leaves_the_private_folder_alone(
    uploaded_photos, tmp_path
):
    """An archive made before the private folder was archived: rows and MEDIA_ROOT are
    restored; the photos still on the server stay (the archive has none to put back)."""
    site = KampungKB.objects.get()
    site.photo = f.image_file("foto.jpg")
    site.save()
    new, old = export(tmp_path / "baru.zip"), tmp_path / "lama.zip"

    def change(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["format"] = "kampungkb-archive/1"
            del manifest["private"]
            return name, json.dumps(manifest).encode()
        return (None, None) if name.startswith("private/") else (name, data)

    rewrite(new, old, change)
    before, files = table_checksums(), all_files()
    (Path(settings.MEDIA_ROOT) / "sisa.jpg").write_bytes(b"sisa")
    err, out = io.StringIO(), io.StringIO()
    call_command("import_archive", str(old), replace=True, stdout=out, stderr=err)
    assert NO_PRIVATE_FILES_WARNING in err.getvalue()
    assert "1 media files and 0 private files restored" in out.getvalue()
    assert table_checksums() == before
    assert all_files() == files  # MEDIA_ROOT as archived, PRIVATE_MEDIA_ROOT untouched


def test_export_refuses_overlapping_roots_and_skips_symbolic_links(db, settings, tmp_path):
    outside = tmp_path / "rahasia.txt"
    outside.write_text("bukan unggahan")
    media = Path(settings.MEDIA_ROOT)
    media.mkdir()
    (media / "tautan.txt").symlink_to(outside)
    (media / "asli.txt").write_text("unggahan")
    with zipfile.ZipFile(export(tmp_path / "a.zip")) as zf:
        assert "media/asli.txt" in zf.namelist()
        assert not [n for n in zf.namelist() if "tautan" in n]
    settings.PRIVATE_MEDIA_ROOT = media / "privat"
    with pytest.raises(Exception, match="neither inside the other"):
        export(tmp_path / "b.zip")


def rewrite(archive, target, change, extra=()):
    """Copy an archive through ``change(name, data) -> (name, data)`` (a name of None drops
    the member), then add the ``extra`` members (``ZipInfo`` or name, data)."""
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            name, data = change(item.filename, data)
            if name is not None:
                dst.writestr(name, data)
        for name, data in extra:
            dst.writestr(name, data)


def symlink_member(name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target


@pytest.fixture
def small_with_files(uploaded_photos, site_a):
    """A site with its photo and SK file in MEDIA_ROOT and activity photos in
    PRIVATE_MEDIA_ROOT: quicker than the demo for the refusals below."""
    site_a.photo = f.image_file("foto.jpg")
    site_a.save()
    profile = f.ProfileSnapshotFactory(site=site_a)
    profile.sk_file = SimpleUploadedFile("sk.pdf", b"%PDF-1.4\n%%EOF\n")
    profile.save()
    return site_a


def private_jpg(name):
    return name.startswith("private/activities/") and name.endswith("_t.jpg")


BAD_ARCHIVES = {
    # case: (change(name, data), extra members, message)
    "zip-slip": (
        lambda n, d: (
            ("media/../../../tmp/jahat.jpg", d)
            if n.startswith("media/") and n.endswith(".jpg")
            else (n, d)
        ),
        (),
        "unsafe path",
    ),
    "zip-slip-private": (
        lambda n, d: ("private/../../jahat.jpg", d) if n == "private/jobs/hasil.csv" else (n, d),
        (),
        "unsafe path",
    ),
    "absolute-path": (lambda n, d: (n, d), [("/srv/jahat.jpg", b"x")], "unsafe path"),
    "symbolic-link": (lambda n, d: (n, d), [symlink_member("private/l", "/etc")], "symbolic"),
    "not-in-manifest": (
        lambda n, d: (n, d),
        [("private/activities/tambahan.jpg", b"x")],
        "not listed in the manifest",
    ),
    "missing-file": (
        lambda n, d: (None, None) if private_jpg(n) else (n, d),
        (),
        "missing from the archive",
    ),
    "tampered-file": (
        lambda n, d: (n, d + b"x") if n.endswith(".pdf") else (n, d),
        (),
        "corrupt file",
    ),
    "tampered-private-file": (
        lambda n, d: (n, d[:-2] + b"\x00\x00") if private_jpg(n) else (n, d),
        (),
        "corrupt file",
    ),
    "tampered-row": (
        lambda n, d: (
            (n, d.replace(b'"Kampung KB ', b'"Kampung KX ', 1)) if n == "data.jsonl" else (n, d)
        ),
        (),
        "tables differ",
    ),
    "other-migrations": (
        lambda n, d: (
            (n, d.replace(b'"migrations": [', b'"migrations": [["villages", "9999_future"], '))
            if n == "manifest.json"
            else (n, d)
        ),
        (),
        "not migrated to the same migrations",
    ),
}


@pytest.mark.parametrize("case", BAD_ARCHIVES)
def test_import_refuses_a_bad_archive_and_changes_nothing(small_with_files, tmp_path, case):
    change, extra, message = BAD_ARCHIVES[case]
    archive, bad = export(tmp_path / "a.zip"), tmp_path / "bad.zip"
    rewrite(archive, bad, change, extra)
    before, files = table_checksums(), all_files()
    assert len(files["media"]) == 2 and len(files["private"]) == 7
    with pytest.raises(CommandError, match=message):
        call_command("import_archive", str(bad), replace=True)
    assert table_checksums() == before
    assert all_files() == files
    assert not (tmp_path.parent / "jahat.jpg").exists()
    assert not (tmp_path / "jahat.jpg").exists()
    for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT):
        assert not [p.name for p in Path(root).iterdir() if p.name.startswith(".")]


def test_a_failure_while_moving_the_files_in_place_changes_nothing(
    small_with_files, tmp_path, monkeypatch
):
    """The rows are loaded and checked, MEDIA_ROOT's files are in place, then moving the
    private files fails (a full disk): the rows roll back and both folders get their
    previous files back."""
    archive = export(tmp_path / "a.zip")
    Activity.objects.all().delete()  # a photo removed since the backup...
    (Path(settings.MEDIA_ROOT) / "baru.jpg").write_bytes(b"baru")  # ...a file added
    before, files = table_checksums(), all_files()
    private_root = str(Path(settings.PRIVATE_MEDIA_ROOT).resolve())
    real_replace = os.replace

    def failing_replace(src, dst):
        if (
            re.search(r"/\.import-[^/]+$", os.path.dirname(src))
            and str(dst).startswith(private_root)
            and ".import-replaced-" not in str(src)
        ):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(archive_module.os, "replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        call_command("import_archive", str(archive), replace=True, stdout=quiet())
    assert table_checksums() == before
    assert all_files() == files
    for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT):
        assert not [p.name for p in Path(root).iterdir() if p.name.startswith(".")]


def readme_rsync_lines():
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Backup and restore", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("rsync ")]


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed")
def test_the_readme_rsync_lines_back_up_and_restore_both_folders(uploaded_photos, tmp_path):
    """The README's rsync lines, run between folders (the server's /srv/kampungkb/ is this
    test's media folders, backup-host:/backup/ a local folder): both folders come back."""
    site = KampungKB.objects.get()
    site.photo = f.image_file("foto.jpg")
    site.save()
    files = all_files()
    assert files["media"] and files["private"]
    places = {
        "/srv/kampungkb/media/": f"{settings.MEDIA_ROOT}/",
        "/srv/kampungkb/private_media/": f"{settings.PRIVATE_MEDIA_ROOT}/",
        "backup-host:/backup/": f"{tmp_path / 'backup'}/",
    }
    lines = readme_rsync_lines()
    backup = [line for line in lines if line.split()[-1].startswith("backup-host:")]
    restore = [line for line in lines if line.startswith("rsync -a backup-host:")]
    assert len(backup) == len(restore) == 2
    (tmp_path / "backup").mkdir()

    def run(line):
        for server, here in places.items():
            line = line.replace(server, here)
        subprocess.run(line.split(), check=True, timeout=60)

    for line in backup:
        run(line)
    empty_roots()
    for line in restore:
        run(line)
    assert all_files() == files
