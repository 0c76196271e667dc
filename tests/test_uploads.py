"""Hostile uploads on every upload field that exists (site photo, organisation chart, SK
Pokja document): refused, or stored as a clean re-encoded copy under a name the portal
chose, and served with a content type that a browser never runs."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.views.static import serve
from PIL import Image

from villages.models import KampungKB, ProfileSnapshot

from . import factories as f

pytestmark = pytest.mark.django_db

SCRIPT = b"<script>alert(document.cookie)</script>"
INVALID_IMAGE = "Berkas ini bukan gambar yang sah"  # our validator (villages.validators)
# A site's picture gets the same message as an activity photo (tests/test_activity_input.py)
# for a header claiming more pixels than Pillow opens, not Django's "upload a valid image".
PIXEL_BOMB = "Gambar ini memiliki terlalu banyak piksel untuk sebuah foto."
BAD_EXTENSION = "tidak diizinkan"  # Django's image extension check
SAFE_CONTENT_TYPES = {"image/jpeg", "image/png", "image/webp", "application/pdf"}


def jpeg_bytes(size=(40, 30), **save_options):
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 60)).save(buf, "JPEG", **save_options)
    return buf.getvalue()


def upload(name, content, content_type="image/jpeg"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def site_form_data(site, **files):
    return {
        "name": site.name,
        "kelurahan": site.kelurahan_id,
        "coverage": "kelurahan",
        "declared_on": "01/03/2018",
        "description": "",
        "is_active": "on",
        **files,
    }


def post_site(client, site, **files):
    return client.post(
        reverse("villages:site-update", args=[site.pk]), site_form_data(site, **files)
    )


def stored_bytes(fieldfile) -> bytes:
    return Path(fieldfile.path).read_bytes()


def assert_clean_stored_image(fieldfile, folder):
    assert re.fullmatch(
        rf"{folder}/\d{{4}}/\d{{2}}/\d+-[0-9a-f]{{32}}\.(jpg|png|webp)", fieldfile.name
    )
    path = Path(fieldfile.path).resolve()
    assert path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    data = path.read_bytes()
    assert b"<script" not in data.lower() and b"<?php" not in data
    with Image.open(io.BytesIO(data)) as img:
        img.verify()
    with Image.open(io.BytesIO(data)) as img:
        assert not img.getexif()
        assert "comment" not in img.info and "xmp" not in img.info


# --- Polyglots, names, metadata ------------------------------------------------------------
def test_polyglot_photo_is_stored_as_a_clean_jpeg(client_for, pokja_a, site_a):
    polyglot = jpeg_bytes() + b"\n<html><body>" + SCRIPT + b"</body></html>"
    response = post_site(client_for(pokja_a), site_a, photo=upload("foto.jpg", polyglot))
    assert response.status_code == 302
    site_a.refresh_from_db()
    assert site_a.photo.name.endswith(".jpg")
    assert_clean_stored_image(site_a.photo, "sites")


def test_polyglot_photo_named_html_is_refused(client_for, pokja_a, site_a):
    polyglot = jpeg_bytes() + SCRIPT
    response = post_site(client_for(pokja_a), site_a, photo=upload("foto.html", polyglot))
    assert response.status_code == 200
    assert BAD_EXTENSION in response.content.decode()
    site_a.refresh_from_db()
    assert not site_a.photo


def test_script_in_jpeg_comment_xmp_and_exif_is_stripped(client_for, pokja_a, site_a):
    exif = Image.Exif()
    exif[0x010E] = SCRIPT.decode()  # ImageDescription
    exif[0x8825] = {2: (6, 17, 0), 4: (106, 42, 0)}  # GPS: where the photo was taken
    data = jpeg_bytes(exif=exif, comment=SCRIPT, xmp=b"<x:xmpmeta>" + SCRIPT + b"</x:xmpmeta>")
    with Image.open(io.BytesIO(data)) as original:  # the payload really is in the upload
        assert original.getexif() and SCRIPT in original.info["comment"]
    response = post_site(client_for(pokja_a), site_a, org_chart=upload("bagan.jpg", data))
    assert response.status_code == 302
    site_a.refresh_from_db()
    assert_clean_stored_image(site_a.org_chart, "sites")


def test_exif_orientation_is_applied_before_the_metadata_goes(client_for, pokja_a, site_a):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    data = jpeg_bytes(size=(40, 30), exif=exif)
    post_site(client_for(pokja_a), site_a, photo=upload("miring.jpg", data))
    site_a.refresh_from_db()
    with Image.open(site_a.photo.path) as img:
        assert img.size == (30, 40)


@pytest.mark.parametrize(
    "name",
    ["../../../etc/passwd.jpg", "..\\..\\windows\\win.ini.jpg", "/etc/cron.d/x.jpg", "....//x.jpg"],
)
def test_path_traversal_file_names_are_ignored(client_for, pokja_a, site_a, name):
    response = post_site(client_for(pokja_a), site_a, photo=upload(name, jpeg_bytes()))
    assert response.status_code == 302
    site_a.refresh_from_db()
    assert_clean_stored_image(site_a.photo, "sites")


def test_the_admin_path_is_neutralised_too(client_for, dinas, site_a):
    polyglot = jpeg_bytes() + SCRIPT
    site_a.photo = upload("x.jpeg", polyglot)
    site_a.full_clean()
    site_a.save()
    assert_clean_stored_image(site_a.photo, "sites")


# --- Refused outright ------------------------------------------------------------------
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'


def png_header_claiming(width, height) -> bytes:
    """A PNG whose header claims ``width × height`` pixels (a decompression bomb's trick)."""
    buf = io.BytesIO()
    Image.new("1", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def big_png(width, height) -> bytes:
    buf = io.BytesIO()
    Image.new("1", (width, height)).save(buf, "PNG")  # a few KB on disk
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.svg", SVG, BAD_EXTENSION),
        ("logo.png", SVG, INVALID_IMAGE),
        ("bom.png", png_header_claiming(100_000, 100_000), PIXEL_BOMB),
        ("besar.png", big_png(8000, 6000), "Dimensi gambar terlalu besar (8000 × 6000 piksel)"),
        ("x.php.jpg", b"<?php system($_GET['c']); ?>", INVALID_IMAGE),
        ("dok.tiff", b"II*\x00" + b"\x00" * 64, INVALID_IMAGE),
    ],
    ids=["svg-script", "svg-as-png", "header-bomb", "pixel-bomb", "php", "tiff"],
)
def test_non_images_and_bombs_are_refused(client_for, pokja_a, site_a, name, content, message):
    for field in ("photo", "org_chart"):
        response = post_site(client_for(pokja_a), site_a, **{field: upload(name, content)})
        assert response.status_code == 200
        body = response.content.decode()
        assert message in body
        assert "Unggah gambar yang valid" not in body  # Django's generic ImageField message
        site_a.refresh_from_db()
        assert not getattr(site_a, field)
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.*"))


@pytest.mark.parametrize("pixels", [(9_000, 9_000), (50_000, 50_000)], ids=["over", "far-over"])
def test_too_many_pixels_reads_the_same_on_a_site_as_on_an_activity(
    client_for, pokja_a, site_a, pixels
):
    from .test_activity_input import post_new

    def bomb():
        return upload("bom.png", png_header_claiming(*pixels), "image/png")

    expected = (
        "Dimensi gambar terlalu besar (9000 × 9000 piksel)." if pixels[0] == 9_000 else PIXEL_BOMB
    )
    client = client_for(pokja_a)
    pages = [post_new(client, site_a, photos=[bomb()])] + [
        post_site(client, site_a, **{field: bomb()}) for field in ("photo", "org_chart")
    ]
    for page in pages:
        assert page.status_code == 200
        assert expected in page.content.decode()
        assert "Unggah gambar yang valid" not in page.content.decode()


def test_the_admin_names_a_pixel_bomb_too(rf, dinas, site_a):
    from django.contrib import admin

    model_admin = admin.site._registry[KampungKB]
    request = rf.get("/")
    request.user = dinas
    form_class = model_admin.get_form(request, site_a)
    bomb = upload("bom.png", png_header_claiming(100_000, 100_000), "image/png")
    form = form_class(data=site_form_data(site_a), files={"org_chart": bomb}, instance=site_a)
    assert not form.is_valid()
    assert form.errors["org_chart"] == [PIXEL_BOMB]


# --- SK Pokja document ------------------------------------------------------------------
def profile_data(**files):
    return {
        "period": "2024-03",
        "pokja_exists": "on",
        "sk_issuer": "lurah",
        "sk_number": "400/12/SK",
        "sk_date": "01/02/2024",
        "companion": "none",
        "members_count": "10",
        "trained_members_count": "2",
        **files,
    }


def post_profile(client, site, **files):
    return client.post(reverse("villages:profile-create", args=[site.pk]), profile_data(**files))


def test_pdf_polyglot_sk_is_kept_as_a_pdf_under_a_safe_name(client_for, pokja_a, site_a):
    pdf = b"%PDF-1.4\n<html>" + SCRIPT + b"</html>\n%%EOF"
    response = post_profile(
        client_for(pokja_a), site_a, sk_file=upload("sk.html", pdf, "text/html")
    )
    assert response.status_code == 302
    profile = ProfileSnapshot.objects.get(site=site_a)
    assert re.fullmatch(
        rf"sk/\d{{4}}/\d{{2}}/{site_a.pk}-[0-9a-f]{{32}}\.pdf", profile.sk_file.name
    )
    response = serve_media(profile.sk_file.name)
    assert response["Content-Type"] == "application/pdf"


def test_sk_scan_as_image_is_re_encoded(client_for, pokja_a, site_a):
    data = jpeg_bytes(comment=SCRIPT) + SCRIPT
    response = post_profile(client_for(pokja_a), site_a, sk_file=upload("sk.jpg", data))
    assert response.status_code == 302
    assert_clean_stored_image(ProfileSnapshot.objects.get(site=site_a).sk_file, "sk")


@pytest.mark.parametrize("content", [SVG, b"<html>" + SCRIPT, b"MZ\x90\x00binary"])
def test_sk_that_is_neither_pdf_nor_image_is_refused(client_for, pokja_a, site_a, content):
    response = post_profile(
        client_for(pokja_a), site_a, sk_file=upload("sk.pdf", content, "application/pdf")
    )
    assert response.status_code == 200
    assert INVALID_IMAGE in response.content.decode()
    assert not ProfileSnapshot.objects.exists()


# --- Serving ---------------------------------------------------------------------------
def serve_media(name):
    """The development media view: the content type comes from the (portal-chosen)
    extension. Production serves MEDIA_ROOT from nginx with the same mapping, nosniff and
    a sandboxing CSP (README, "Uploaded files")."""
    request = RequestFactory().get(f"/media/{name}")
    return serve(request, name, document_root=settings.MEDIA_ROOT)


def test_every_stored_upload_is_served_with_a_safe_content_type(client_for, pokja_a, site_a):
    client = client_for(pokja_a)
    post_site(client, site_a, photo=upload("a.pdf", jpeg_bytes() + SCRIPT))
    png = io.BytesIO()
    Image.new("RGBA", (8, 8)).save(png, "PNG")
    post_site(client, site_a, org_chart=upload("b.png", png.getvalue(), "image/svg+xml"))
    gif = io.BytesIO()
    Image.new("P", (8, 8)).save(gif, "GIF")
    post_profile(client, site_a, sk_file=upload("c.gif", gif.getvalue(), "image/gif"))
    site_a.refresh_from_db()
    names = [site_a.photo.name, site_a.org_chart.name, ProfileSnapshot.objects.get().sk_file.name]
    types = {serve_media(n)["Content-Type"] for n in names}
    assert types <= SAFE_CONTENT_TYPES
    assert len(list(Path(settings.MEDIA_ROOT).rglob("*.*"))) == 3
    assert KampungKB.objects.get(pk=site_a.pk).org_chart.name.endswith(".png")


def test_upload_size_is_capped(client_for, pokja_a, site_a, settings):
    settings.MAX_IMAGE_BYTES = 1024
    response = post_site(
        client_for(pokja_a), site_a, photo=upload("f.jpg", jpeg_bytes(size=(400, 400)))
    )
    assert response.status_code == 200
    assert "batasnya" in response.content.decode() or "MB" in response.content.decode()
    site_a.refresh_from_db()
    assert not site_a.photo


def test_factories_image_helper_still_works():
    assert f.image_file().size > 0
