"""Loading Kemendagri region codes (kota/kabupaten, kecamatan, kelurahan/desa) from CSV.

The format is the one of ``villages/data/tangsel_wilayah.csv``::

    level,kemendagri_code,name,parent_code,bps_code,postal_code,other_spellings

Every row is validated first; if any row is bad nothing is saved and the errors are
reported by line number. Loading is idempotent (rows are matched by their code).
Used by the master-data migration and by ``manage.py load_wilayah``.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

REQUIRED_COLUMNS = ["level", "kemendagri_code", "name", "parent_code"]
OPTIONAL_COLUMNS = ["bps_code", "postal_code", "other_spellings"]
TANGSEL_CSV = Path(__file__).resolve().parent / "data" / "tangsel_wilayah.csv"
# Bounding box of Kota Tangerang Selatan (with a small margin), for site coordinates.
TANGSEL_BOUNDS = {
    "min_latitude": "-6.390000",
    "max_latitude": "-6.190000",
    "min_longitude": "106.600000",
    "max_longitude": "106.800000",
}

LEVELS = {
    # level: (code pattern, parent level(s), model)
    "kota": (re.compile(r"^\d{2}\.\d{2}$"), ("provinsi",), "Kota"),
    "kabupaten": (re.compile(r"^\d{2}\.\d{2}$"), ("provinsi",), "Kota"),
    "kecamatan": (re.compile(r"^\d{2}\.\d{2}\.\d{2}$"), ("kota", "kabupaten"), "Kecamatan"),
    "kelurahan": (re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"), ("kecamatan",), "Kelurahan"),
    "desa": (re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"), ("kecamatan",), "Kelurahan"),
}


class WilayahError(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Row:
    line: int
    level: str
    code: str
    name: str
    parent_code: str
    bps_code: str = ""
    postal_code: str = ""
    other_spellings: str = ""


@dataclass
class LoadResult:
    created: dict = field(default_factory=lambda: {"Kota": 0, "Kecamatan": 0, "Kelurahan": 0})
    updated: dict = field(default_factory=lambda: {"Kota": 0, "Kecamatan": 0, "Kelurahan": 0})


def parse(text: str) -> list[Row]:
    """Parse and validate the CSV text. Raises WilayahError listing every bad row."""
    errors = []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise WilayahError(
            [_("Line 1: missing column(s): %(cols)s.") % {"cols": ", ".join(missing)}]
        )
    rows, seen = [], {}
    for index, raw in enumerate(reader, start=2):
        raw = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        if not any(raw.values()):
            continue
        row = Row(
            line=index,
            level=raw.get("level", "").lower(),
            code=raw.get("kemendagri_code", ""),
            name=raw.get("name", ""),
            parent_code=raw.get("parent_code", ""),
            bps_code=raw.get("bps_code", ""),
            postal_code=raw.get("postal_code", ""),
            other_spellings=raw.get("other_spellings", ""),
        )
        problems = []
        if row.level not in LEVELS:
            problems.append(
                _(
                    "unknown level “%(level)s” "
                    "(expected kota, kabupaten, kecamatan, kelurahan or desa)"
                )
                % {"level": row.level}
            )
        else:
            pattern = LEVELS[row.level][0]
            if not pattern.match(row.code):
                problems.append(
                    _("code “%(code)s” is not a valid Kemendagri %(level)s code")
                    % {"code": row.code, "level": row.level}
                )
            elif row.code.rsplit(".", 1)[0] != row.parent_code:
                problems.append(
                    _("code “%(code)s” does not belong to parent “%(parent)s”")
                    % {"code": row.code, "parent": row.parent_code}
                )
        if not row.name:
            problems.append(_("the name is empty"))
        if row.postal_code and not re.fullmatch(r"\d{5}", row.postal_code):
            problems.append(_("postal code “%(pc)s” must be 5 digits") % {"pc": row.postal_code})
        if row.bps_code and not re.fullmatch(r"\d{2,10}", row.bps_code):
            problems.append(_("BPS code “%(bps)s” must be digits") % {"bps": row.bps_code})
        if row.code in seen:
            problems.append(
                _("code “%(code)s” already appears on line %(line)d")
                % {"code": row.code, "line": seen[row.code]}
            )
        if problems:
            errors.append(
                _("Line %(line)d: %(problems)s.") % {"line": index, "problems": "; ".join(problems)}
            )
        else:
            seen[row.code] = index
            rows.append(row)
    if not errors and not rows:
        errors.append(_("The file contains no rows."))
    if errors:
        raise WilayahError(errors)
    return rows


def load(text: str, apps=None, bounds=None) -> LoadResult:
    """Validate, then save every row in one transaction (all or nothing)."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Kota = apps.get_model("villages", "Kota")
    Kecamatan = apps.get_model("villages", "Kecamatan")
    Kelurahan = apps.get_model("villages", "Kelurahan")
    rows = parse(text)

    # Parents must exist in the file or in the database, at the right level.
    codes_in_file = {r.code: r.level for r in rows}
    known_kota = set(Kota.objects.values_list("code", flat=True))
    known_kec = set(Kecamatan.objects.values_list("code", flat=True))
    errors = []
    for row in rows:
        parent_levels = LEVELS[row.level][1]
        if parent_levels == ("provinsi",):
            if not re.fullmatch(r"\d{2}", row.parent_code):
                errors.append(
                    _(
                        "Line %(line)d: the parent of a kota/kabupaten must be a "
                        "2-digit province code."
                    )
                    % {"line": row.line}
                )
            continue
        in_file = codes_in_file.get(row.parent_code) in parent_levels
        in_db = row.parent_code in (known_kota if "kota" in parent_levels else known_kec)
        if not (in_file or in_db):
            errors.append(
                _("Line %(line)d: unknown parent “%(parent)s” for %(level)s “%(name)s”.")
                % {
                    "line": row.line,
                    "parent": row.parent_code,
                    "level": row.level,
                    "name": row.name,
                }
            )
    if errors:
        raise WilayahError(errors)

    result = LoadResult()
    order = {"kota": 0, "kabupaten": 0, "kecamatan": 1, "kelurahan": 2, "desa": 2}
    with transaction.atomic():
        for row in sorted(rows, key=lambda r: (order[r.level], r.line)):
            model_name = LEVELS[row.level][2]
            if model_name == "Kota":
                defaults = {
                    "name": row.name,
                    "kind": row.level,
                    "province_code": row.parent_code,
                    "bps_code": row.bps_code,
                }
                if bounds:
                    defaults.update(bounds)
                _obj, created = Kota.objects.update_or_create(code=row.code, defaults=defaults)
            elif model_name == "Kecamatan":
                _obj, created = Kecamatan.objects.update_or_create(
                    code=row.code,
                    defaults={
                        "name": row.name,
                        "kota": Kota.objects.get(code=row.parent_code),
                        "bps_code": row.bps_code,
                    },
                )
            else:
                _obj, created = Kelurahan.objects.update_or_create(
                    code=row.code,
                    defaults={
                        "name": row.name,
                        "kind": row.level,
                        "kecamatan": Kecamatan.objects.get(code=row.parent_code),
                        "bps_code": row.bps_code,
                        "postal_code": row.postal_code,
                        "other_spellings": row.other_spellings,
                    },
                )
            (result.created if created else result.updated)[model_name] += 1
    return result


def load_tangsel(apps=None) -> LoadResult:
    return load(TANGSEL_CSV.read_text(encoding="utf-8"), apps=apps, bounds=TANGSEL_BOUNDS)
