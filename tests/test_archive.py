"""Backups that lose nothing: the demo data and its files through export_archive and
import_archive into an empty database, compared table by table and row by row."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from kampungkb.archive import _fire_deferred_constraints, table_checksums
from kampungkb.settings.base import BASE_DIR
from villages.models import KampungKB, ProfileSnapshot

from . import factories as f

pytestmark = pytest.mark.django_db


def media_hashes():
    root = Path(settings.MEDIA_ROOT)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


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


def test_demo_data_round_trips_through_the_archive(demo_with_files, tmp_path):
    before = table_checksums()
    files_before = media_hashes()
    assert len(files_before) == 3
    assert sum(n for n, _ in before.values()) > 1000  # the demo, its history, master data
    archive = tmp_path / "cadangan.zip"
    call_command("export_archive", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115

    # An empty database (as after `migrate` on a new server, minus its master data) and
    # an empty media folder.
    _fire_deferred_constraints()  # PostgreSQL: rows written in this test's transaction
    call_command("flush", interactive=False, inhibit_post_migrate=True, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert all(n == 0 for n, _ in table_checksums().values())

    call_command("import_archive", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115
    after = table_checksums()
    assert after.keys() == before.keys()
    differing = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert differing == {}
    assert media_hashes() == files_before


def test_archive_restores_into_a_new_sqlite_database(demo_with_files, tmp_path):
    """Into a freshly migrated database in another process (from PostgreSQL too, when the
    suite runs there): the archive does not depend on the engine."""
    archive = tmp_path / "cadangan.zip"
    call_command("export_archive", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115
    expected = table_checksums()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MEDIA_ROOT")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'baru.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media-baru"),
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
        p.relative_to(tmp_path / "media-baru").as_posix()
        for p in (tmp_path / "media-baru").rglob("*")
        if p.is_file()
    }
    assert restored == set(media_hashes())


def test_import_refuses_a_database_that_holds_data(demo_with_files, tmp_path):
    archive = tmp_path / "a.zip"
    call_command("export_archive", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115
    before = table_checksums()
    with pytest.raises(CommandError, match="--replace"):
        call_command("import_archive", str(archive))
    assert table_checksums() == before
    call_command("import_archive", str(archive), replace=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert table_checksums() == before


def rewrite(archive, target, change):
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            name, data = change(item.filename, data)
            dst.writestr(name, data)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("zip-slip", "unsafe path"),
        ("tampered-file", "corrupt media file"),
        ("tampered-row", "tables differ"),
        ("other-migrations", "not migrated to the same migrations"),
    ],
)
def test_import_refuses_a_bad_archive_and_changes_nothing(demo_with_files, tmp_path, case, message):
    archive, bad = tmp_path / "a.zip", tmp_path / "bad.zip"
    call_command("export_archive", str(archive), stdout=open(os.devnull, "w"))  # noqa: SIM115

    def change(name, data):
        if case == "zip-slip" and name.startswith("media/") and name.endswith(".jpg"):
            return "media/../../../tmp/jahat.jpg", data
        if case == "tampered-file" and name.startswith("media/") and name.endswith(".pdf"):
            return name, data + b"x"
        if case == "tampered-row" and name == "data.jsonl":
            return name, data.replace(b'"Kampung KB ', b'"Kampung KX ', 1)
        if case == "other-migrations" and name == "manifest.json":
            manifest = json.loads(data)
            manifest["migrations"].append(["villages", "9999_future"])
            return name, json.dumps(manifest).encode()
        return name, data

    rewrite(archive, bad, change)
    before, files = table_checksums(), media_hashes()
    with pytest.raises(CommandError, match=message):
        call_command("import_archive", str(bad), replace=True)
    assert table_checksums() == before
    assert media_hashes() == files
    assert not (tmp_path.parent / "jahat.jpg").exists()
