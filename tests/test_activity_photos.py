"""Photo evidence on the server: processing, privacy, scoped serving, duplicates and the
capture-time warning."""

import datetime
import io
import re
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import ExifTags, Image

from activities import workflow
from activities.models import Activity, ActivityPhoto
from activities.photos import parse_capture_time

from . import factories as f
from .test_activity_input import CREATE, form_data

pytestmark = pytest.mark.django_db
S = Activity.Status


def exif_with(taken=None, gps=False, orientation=None):
    exif = Image.Exif()
    if taken:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "S"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (6.0, 17.0, 30.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (106.0, 42.0, 10.0)
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "KameraUji"
    return exif


def upload(client, site, image, **overrides):
    response = client.post(CREATE, form_data(site, photos=[image], **overrides))
    assert response.status_code == 302, response.content.decode()[:3000]
    return Activity.objects.latest("pk").photos.get()


def stored_image(field):
    with field.open("rb") as handle:
        data = handle.read()
    return data, Image.open(io.BytesIO(data))


def test_exif_time_is_kept_and_gps_is_removed(client_for, pokja_a, site_a):
    image = f.image_file(exif=exif_with(taken="2024:05:09 08:30:00", gps=True))
    photo = upload(client_for(pokja_a), site_a, image)
    assert photo.taken_at == timezone.make_aware(datetime.datetime(2024, 5, 9, 8, 30))
    for field in (photo.image, photo.thumbnail):
        data, img = stored_image(field)
        assert img.format == "JPEG"
        assert not img.getexif()  # no EXIF at all: no GPS, no camera
        assert b"Exif" not in data and b"KameraUji" not in data


def test_the_browser_sends_the_capture_time_of_a_downscaled_photo(client_for, pokja_a, site_a):
    data = form_data(site_a, photos=[f.image_file()])
    data["photo-0-client_taken_at"] = "2024:05:08 16:05:00"
    client_for(pokja_a).post(CREATE, data)
    photo = ActivityPhoto.objects.get()
    assert timezone.localtime(photo.taken_at).strftime("%d/%m/%Y %H:%M") == "08/05/2024 16:05"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024:05:09 08:30:00", datetime.datetime(2024, 5, 9, 8, 30)),
        ("2024-05-09T08:30", datetime.datetime(2024, 5, 9, 8, 30)),
        ("1999:01:01 00:00:00", None),
        ("2099:01:01 00:00:00", None),
        ("bukan tanggal", None),
        ("2024:13:45 99:00:00", None),
        ("", None),
    ],
)
def test_capture_times_are_parsed_strictly(value, expected):
    parsed = parse_capture_time(value)
    if expected is None:
        assert parsed is None
    else:
        assert parsed == timezone.make_aware(expected)


def test_large_photos_are_stored_downscaled_with_a_thumbnail(client_for, pokja_a, site_a):
    photo = upload(client_for(pokja_a), site_a, f.image_file(size=(3000, 2000)))
    assert (photo.width, photo.height) == (1600, 1067)
    _, thumb = stored_image(photo.thumbnail)
    assert max(thumb.size) == 480


def test_orientation_is_applied_and_transparency_flattened(client_for, pokja_a, site_a):
    rotated = f.image_file(size=(60, 40), exif=exif_with(orientation=6))
    photo = upload(client_for(pokja_a), site_a, rotated)
    assert (photo.width, photo.height) == (40, 60)
    png = f.image_file(name="logo.png", fmt="PNG", mode="RGBA", color=(0, 0, 0, 0))
    photo = upload(client_for(pokja_a), site_a, png)
    _, img = stored_image(photo.image)
    assert img.mode == "RGB" and img.getpixel((1, 1)) == (255, 255, 255)


def test_stored_names_never_come_from_the_user(client_for, pokja_a, site_a):
    image = f.image_file(name="../../../etc/passwd<script>.php.jpg")
    photo = upload(client_for(pokja_a), site_a, image)
    assert re.fullmatch(r"activities/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", photo.image.name)
    assert re.fullmatch(r"activities/\d{4}/\d{2}/[0-9a-f]{32}_t\.jpg", photo.thumbnail.name)


def test_photos_live_outside_media_root_and_have_no_public_url(client_for, pokja_a, site_a):
    photo = upload(client_for(pokja_a), site_a, f.image_file())
    path = photo.image.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        photo.image.url  # noqa: B018 - no URL: only the scoped views serve it


def test_photo_responses_have_a_safe_content_type(client_for, pokja_a, site_a):
    photo = upload(client_for(pokja_a), site_a, f.image_file())
    response = client_for(pokja_a).get(reverse("activities:photo", args=[photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="foto-{photo.pk}.jpg"'
    assert "private" in response["Cache-Control"]
    body = b"".join(response.streaming_content)
    assert Image.open(io.BytesIO(body)).format == "JPEG"


def test_removed_photo_leaves_no_file(
    client_for, pokja_a, site_a, django_capture_on_commit_callbacks
):
    photo = upload(client_for(pokja_a), site_a, f.image_file())
    storage = photo.image.storage
    names = [photo.image.name, photo.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()
    assert not any(storage.exists(name) for name in names)


def test_the_same_photo_on_another_activity_is_flagged_to_the_dinas(
    client_for, pokja_a, dinas, site_a
):
    bytes_ = f.image_file(color=(10, 20, 30)).read()

    def same():
        from django.core.files.uploadedfile import SimpleUploadedFile

        return SimpleUploadedFile(f"{uuid.uuid4().hex}.jpg", bytes_, "image/jpeg")

    first = upload(client_for(pokja_a), site_a, same(), title="Kegiatan Maret")
    second = upload(client_for(pokja_a), site_a, same(), title="Kegiatan April")
    assert first.sha256 == second.sha256
    workflow.submit(second.activity, pokja_a)
    detail = reverse("activities:detail", args=[second.activity_id])
    body = client_for(dinas).get(detail).content.decode()
    assert "Foto yang sama juga ada pada:" in body and "Kegiatan Maret" in body
    queue = client_for(dinas).get(reverse("activities:queue")).content.decode()
    assert "Foto duplikat: juga ada pada kegiatan lain" in queue
    dashboard = client_for(dinas).get(reverse("dashboard")).content.decode()
    assert "1 di antaranya memiliki foto yang juga ada pada kegiatan lain." in dashboard
    # The flag is for the Dinas.
    assert "Foto yang sama juga ada pada:" not in client_for(pokja_a).get(detail).content.decode()


def test_a_photo_taken_far_from_the_activity_date_is_flagged(client_for, pokja_a, dinas, site_a):
    image = f.image_file(exif=exif_with(taken="2024:04:15 09:00:00"))
    photo = upload(client_for(pokja_a), site_a, image, date="2024-05-10")
    assert photo.taken_far_from_activity
    workflow.submit(photo.activity, pokja_a)
    warning = "Peringatan: foto diambil lebih dari 7 hari dari tanggal kegiatan."
    body = client_for(dinas).get(photo.activity.get_absolute_url()).content.decode()
    assert warning in body
    queue = client_for(dinas).get(reverse("activities:queue")).content.decode()
    assert "Foto diambil lebih dari 7 hari dari tanggal kegiatan" in queue
    close = f.ActivityPhotoFactory(
        activity=photo.activity, taken_at=timezone.make_aware(datetime.datetime(2024, 5, 12))
    )
    assert not close.taken_far_from_activity


def test_admin_and_import_uploads_are_processed_too(site_a):
    activity = f.ActivityFactory(site=site_a)
    photo = ActivityPhoto(
        activity=activity, image=f.image_file(exif=exif_with(gps=True), size=(2400, 1200))
    )
    photo.save()
    assert len(photo.sha256) == 64 and photo.width == 1600 and photo.thumbnail
    data, img = stored_image(photo.image)
    assert not img.getexif() and b"KameraUji" not in data


def test_the_admin_shows_photos_through_the_scoped_view(client_for, dinas, site_a):
    draft = f.ActivityFactory(site=site_a)
    verified = f.ActivityFactory(site=site_a, status=S.VERIFIED)
    for activity in (draft, verified):
        photo = f.ActivityPhotoFactory(activity=activity)
        url = reverse("admin:activities_activity_change", args=[activity.pk])
        body = client_for(dinas).get(url).content.decode()
        assert reverse("activities:photo-thumb", args=[photo.pk]) in body
        assert settings.MEDIA_URL + "activities/" not in body


def test_an_admin_edit_makes_an_open_phone_form_stale(client_for, dinas, site_a):
    activity = f.ActivityFactory(site=site_a, title="Judul awal")
    data = {
        "site": site_a.pk,
        "title": "Diubah di admin",
        "date": "10/05/2024",
        "category": "reproduksi",
        "participants_male": 1,
        "participants_female": 1,
        "origin": "pokja",
        "photos-TOTAL_FORMS": 0,
        "photos-INITIAL_FORMS": 0,
        "transitions-TOTAL_FORMS": 0,
        "transitions-INITIAL_FORMS": 0,
    }
    url = reverse("admin:activities_activity_change", args=[activity.pk])
    response = client_for(dinas).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    activity.refresh_from_db()
    assert activity.title == "Diubah di admin" and activity.version == 2
