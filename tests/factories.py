"""The one factory module for the whole test suite."""

import datetime
import io
import zipfile

import factory
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from openpyxl import Workbook
from PIL import Image

from activities.models import (
    OPD,
    Activity,
    ActivityPhoto,
    ActivityTransition,
    OPDProgram,
    PokjaMember,
    Usulan,
)
from kampungkb.models import User
from villages.models import (
    AreaAssignment,
    KampungKB,
    Kecamatan,
    Kelurahan,
    KKBPKSnapshot,
    Kota,
    PopulationSnapshot,
    ProfileSnapshot,
)

PASSWORD = "s3cret-Pa55word!"


def image_file(
    name="photo.jpg", size=(64, 48), fmt="JPEG", color=(200, 120, 40), exif=None, mode="RGB"
):
    """An in-memory upload of a real image."""
    buf = io.BytesIO()
    img = Image.new(mode, size, color)
    kwargs = {"exif": exif} if exif is not None else {}
    img.save(buf, format=fmt, **kwargs)
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, buf.getvalue(), content_type=content_type)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="id_ID")
    last_name = factory.Faker("last_name", locale="id_ID")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        for name in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=name)[0])


class KotaFactory(DjangoModelFactory):
    class Meta:
        model = Kota
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n % 10}.{n % 100:02d}")
    name = factory.Sequence(lambda n: f"Kota Uji {n}")
    province_code = factory.LazyAttribute(lambda o: o.code[:2])


class KecamatanFactory(DjangoModelFactory):
    class Meta:
        model = Kecamatan

    kota = factory.LazyFunction(lambda: Kota.objects.get(code="36.74"))
    code = factory.Sequence(lambda n: f"36.74.{50 + n % 50:02d}")
    name = factory.Sequence(lambda n: f"Kecamatan Uji {n}")


class KelurahanFactory(DjangoModelFactory):
    class Meta:
        model = Kelurahan

    kecamatan = factory.SubFactory(KecamatanFactory)
    code = factory.Sequence(lambda n: f"{{kec}}.{2000 + n:04d}")
    name = factory.Sequence(lambda n: f"Kelurahan Uji {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs["code"] = kwargs["code"].replace("{kec}", kwargs["kecamatan"].code)
        return super()._create(model_class, *args, **kwargs)


class KampungKBFactory(DjangoModelFactory):
    class Meta:
        model = KampungKB

    name = factory.Sequence(lambda n: f"Kampung KB Uji {n}")
    kelurahan = factory.SubFactory(KelurahanFactory)
    declared_on = datetime.date(2018, 3, 1)
    description = "Kampung KB untuk pengujian."


class ProfileSnapshotFactory(DjangoModelFactory):
    class Meta:
        model = ProfileSnapshot

    site = factory.SubFactory(KampungKBFactory)
    period = datetime.date(2024, 1, 1)
    pokja_exists = True
    sk_issuer = "lurah"
    sk_number = factory.Sequence(lambda n: f"400/{n}/SK")
    sk_date = datetime.date(2018, 3, 1)
    members_count = 12
    trained_members_count = 5


class PopulationSnapshotFactory(DjangoModelFactory):
    class Meta:
        model = PopulationSnapshot

    site = factory.SubFactory(KampungKBFactory)
    period = datetime.date(2024, 1, 1)
    residents = factory.LazyFunction(lambda: {"20-24_L": 4000, "20-24_P": 4000})
    families = 2000
    pus = 1000
    adolescents = 1500
    families_with_toddlers = 500
    families_with_adolescents = 600
    families_with_elderly = 300


class KKBPKSnapshotFactory(DjangoModelFactory):
    """Adds up by default: 600 users + 400 non-users = the population factory's 1000 PUS."""

    class Meta:
        model = KKBPKSnapshot

    site = factory.SubFactory(KampungKBFactory)
    period = datetime.date(2024, 1, 1)
    participants_bkb = 100
    participants_bkr = 80
    participants_bkl = 50
    participants_uppka = 40
    participants_pikr = 60
    kb_iud = 60
    kb_mow = 20
    kb_mop = 5
    kb_condom = 40
    kb_implant = 75
    kb_injection = 280
    kb_pill = 120
    nonuser_pregnant = 100
    nonuser_want_child_soon = 180
    nonuser_want_child_later = 70
    nonuser_want_no_more = 50


class OPDFactory(DjangoModelFactory):
    class Meta:
        model = OPD

    name = factory.Sequence(lambda n: f"Dinas Uji {n}")
    short_name = factory.Sequence(lambda n: f"DU{n}")


class PokjaMemberFactory(DjangoModelFactory):
    class Meta:
        model = PokjaMember

    site = factory.SubFactory(KampungKBFactory)
    name = factory.Faker("name", locale="id_ID")
    position = PokjaMember.Position.ANGGOTA
    active_from = datetime.date(2018, 3, 1)


class AreaAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = AreaAssignment

    user = factory.SubFactory(UserFactory)


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    site = factory.SubFactory(KampungKBFactory)
    title = factory.Sequence(lambda n: f"Kegiatan {n}")
    date = datetime.date(2024, 5, 10)
    category = "reproduksi"
    place = "Balai warga RW 03"
    participants_male = 5
    participants_female = 15
    status = Activity.Status.DRAFT
    submitted_at = None
    # As activities.workflow keeps it: the first submission is the submission, unless a
    # test says otherwise (a resubmitted activity).
    first_submitted_at = factory.SelfAttribute("submitted_at")

    @factory.post_generation
    def agencies(self, create, extracted, **kwargs):
        if create and extracted:
            self.agencies.set(extracted)


class OPDProgramFactory(DjangoModelFactory):
    class Meta:
        model = OPDProgram
        skip_postgeneration_save = True

    opd = factory.SubFactory(OPDFactory)
    title = factory.Sequence(lambda n: f"Program {n}")
    starts_on = datetime.date(2024, 1, 1)

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)


class UsulanFactory(DjangoModelFactory):
    """An usulan as stored; tests of the workflow send them through
    ``activities.usulan_services`` instead."""

    class Meta:
        model = Usulan

    direction = Usulan.Direction.UP
    site = factory.SubFactory(KampungKBFactory)
    opd = factory.SubFactory(OPDFactory)
    kind = Usulan.Kind.TRAINING
    title = factory.Sequence(lambda n: f"Usulan {n}")
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=14))


def xlsx_bytes(rows, *, title="Data"):
    """An XLSX workbook (bytes) whose first sheet holds ``rows``; a string starting with
    "=" is written as a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    workbook.save(buf)
    return buf.getvalue()


def xlsx_upload(rows, name="data.xlsx", content=None):
    return SimpleUploadedFile(
        name,
        content if content is not None else xlsx_bytes(rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def with_macros(content: bytes) -> bytes:
    """The same workbook with a VBA project inside, as Excel saves an .xlsm."""
    src = zipfile.ZipFile(io.BytesIO(content))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
            out.writestr(item, data)
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 fake VBA project")
    return buf.getvalue()


def xlsx_many_rows(header, row, n, *, dimension=True, declared_rows=None):
    """A minimal XLSX with ``header`` and ``n`` copies of ``row`` (text cells), written as
    XML directly: openpyxl would take seconds for 100,000 rows."""
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter

    def cells(values, r):
        return "".join(
            f'<c r="{get_column_letter(i + 1)}{r}" t="inlineStr">'
            f"<is><t>{escape(str(v))}</t></is></c>"
            for i, v in enumerate(values)
        )

    body = "".join(
        f'<row r="{r}">{cells(header if r == 1 else row, r)}</row>' for r in range(1, n + 2)
    )
    last = declared_rows or n + 1
    dim = f'<dimension ref="A1:{get_column_letter(len(header))}{last}"/>' if dimension else ""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="'
            'application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
            'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel_ns}><sheets><sheet '
            'name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}>{dim}<sheetData>{body}'
            "</sheetData></worksheet>"
        ),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for name, text in files.items():
            out.writestr(name, text)
    return buf.getvalue()


class ActivityPhotoFactory(DjangoModelFactory):
    """Saved through ``ActivityPhoto.save``, so the upload is processed like any other."""

    class Meta:
        model = ActivityPhoto

    activity = factory.SubFactory(ActivityFactory)
    # A different colour each time: different bytes, so no accidental "duplicate photo".
    image = factory.Sequence(lambda n: image_file(color=(n % 256, n // 256 % 256, 90)))
    kind = ActivityPhoto.Kind.ACTIVITY


class ActivityTransitionFactory(DjangoModelFactory):
    class Meta:
        model = ActivityTransition

    activity = factory.SubFactory(ActivityFactory)
    from_status = Activity.Status.DRAFT
    to_status = Activity.Status.SUBMITTED
