"""Static files deploy as they are served in production (static/vendor/README.md).

Production's ``collectstatic`` (whitenoise's CompressedManifestStaticFilesStorage) stops at
the first missing file a ``sourceMappingURL`` or CSS ``url()`` names, no manifest is
written, and every page then answers 500: these tests fail first.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

from kampungkb.settings.base import BASE_DIR

JS_MAP = re.compile(r"^//[#@] sourceMappingURL=(\S+)\s*$", re.MULTILINE)
CSS_MAP = re.compile(r"/\*[#@] sourceMappingURL=(\S+?)\s*\*/")
TEMPLATE_STATIC = re.compile(r"""{%\s*static\s+(['"])([^'"]+)\1""")


def _static_files():
    """(path as collected, absolute file) of everything collectstatic would collect."""
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            yield path, Path(storage.path(path))


def _map_references(path, file):
    if path.endswith(".js"):
        pattern = JS_MAP
    elif path.endswith(".css"):
        pattern = CSS_MAP
    else:
        return []
    text = file.read_text(encoding="utf-8", errors="replace")
    return [m for m in pattern.findall(text) if not m.startswith("data:")]


def test_every_source_map_named_by_a_static_file_exists():
    missing, checked = [], 0
    for path, file in _static_files():
        for reference in _map_references(path, file):
            checked += 1
            target = urlsplit(reference).path
            if urlsplit(reference).scheme or not (file.parent / target).is_file():
                missing.append(f"{path} → {reference}")
    assert not missing, "vendor the map beside the file (static/vendor/README.md): " + ", ".join(
        missing
    )
    assert checked >= 3  # Bootstrap's CSS and JS, Chart.js: the walk does reach them


def test_the_source_map_check_catches_a_missing_map(tmp_path):
    file = tmp_path / "lib.min.js"
    file.write_text("var a=1;\n//# sourceMappingURL=lib.min.js.map\n")
    css = tmp_path / "lib.min.css"
    css.write_text("a{color:red}\n/*# sourceMappingURL=lib.min.css.map */")
    assert _map_references("lib.min.js", file) == ["lib.min.js.map"]
    assert _map_references("lib.min.css", css) == ["lib.min.css.map"]
    assert not (tmp_path / "lib.min.js.map").exists()


def _template_static_references():
    template_dirs = [Path(d) for t in settings.TEMPLATES for d in t.get("DIRS", [])]
    for app in ("kampungkb", "villages", "activities", "reports"):
        template_dirs.append(BASE_DIR / app / "templates")
    for directory in template_dirs:
        for template in directory.rglob("*.html"):
            for _quote, name in TEMPLATE_STATIC.findall(template.read_text(encoding="utf-8")):
                yield template.relative_to(BASE_DIR), name


def test_every_static_file_a_template_names_exists():
    references = list(_template_static_references())
    missing = [f"{template}: {name}" for template, name in references if not finders.find(name)]
    assert not missing, missing
    assert any(name.startswith("vendor/chartjs/") for _t, name in references)


def test_collectstatic_succeeds_with_the_production_storage(tmp_path):
    """The README's deployment step, on this checkout: the manifest is written, every
    name the templates use is in it, and the hashed maps are served beside their files."""
    static_root = tmp_path / "static"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="kampungkb.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="kampungkb.example.go.id",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        STATIC_ROOT=str(static_root),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "1"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for _template, name in _template_static_references():
        assert name in manifest, name
    hashed_chart = static_root / manifest["vendor/chartjs/4.6.1/chart.umd.min.js"]
    (map_name,) = JS_MAP.findall(hashed_chart.read_text(encoding="utf-8"))
    assert map_name == Path(manifest["vendor/chartjs/4.6.1/chart.umd.min.js.map"]).name
    assert (hashed_chart.parent / map_name).is_file()
    # Compressed variants for whitenoise to serve (Accept-Encoding: gzip).
    assert Path(f"{hashed_chart}.gz").is_file()
