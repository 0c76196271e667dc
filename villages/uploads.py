"""Uploaded files are stored under names the portal chooses and with content it re-encoded.

* The stored name never comes from the uploaded file's name: no path traversal, and no
  ``photo.html`` / ``logo.svg`` that a web server would serve as a page. The extension is
  the one of the format the content really is (``jpg``, ``png``, ``webp`` or ``pdf``), and
  the rest is a random UUID, so a file's address cannot be guessed.
* Images are decoded and written again by Pillow: whatever a polyglot file carried after
  or inside the picture (HTML, scripts, archives) and all metadata (EXIF, including GPS
  and text fields) are gone; the picture is turned upright first (EXIF orientation).
* An SK document is either a PDF, kept as it is (served as ``application/pdf`` with
  ``nosniff``, never as a page), or an image, re-encoded like the others.

Validation (type, size, pixel count) stays in :mod:`villages.validators` and runs first,
in the form or the admin; :func:`neutralise_uploads` runs in the models' ``save()``.
"""

import io
import uuid

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageOps

from .validators import validate_image_file

#: Pillow format → (stored extension, save options). GIF becomes PNG (first frame only).
OUTPUT_FORMATS = {
    "JPEG": ("jpg", "JPEG", {"quality": 88, "optimize": True}),
    "PNG": ("png", "PNG", {"optimize": True}),
    "WEBP": ("webp", "WEBP", {"quality": 88}),
    "GIF": ("png", "PNG", {"optimize": True}),
}
SAFE_EXTENSIONS = {"jpg", "png", "webp", "pdf"}


def reencode_image(file) -> ContentFile:
    """A clean copy of an uploaded image: decoded and encoded again, without metadata."""
    validate_image_file(file)  # also here, so no code path re-encodes a decompression bomb
    file.seek(0)
    with Image.open(file) as img:
        ext, fmt, options = OUTPUT_FORMATS[img.format]
        img = ImageOps.exif_transpose(img)
        # Pillow writes some of ``info`` back by default (JPEG comment, XMP, ICC profile):
        # a script hidden there would survive, so nothing of it is kept.
        img.info = {}
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        elif fmt in ("PNG", "WEBP") and img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            img = img.convert("RGBA")
        out = io.BytesIO()
        img.save(out, format=fmt, **options)  # no exif=/pnginfo=: metadata is dropped
    return ContentFile(out.getvalue(), name=f"upload.{ext}")


def neutralise_document(file) -> ContentFile:
    file.seek(0)
    head = file.read(5)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return ContentFile(file.read(), name="upload.pdf")
    return reencode_image(file)


def neutralise_uploads(instance, images=(), documents=()):
    """Replace every *newly uploaded* file of ``instance`` by its clean copy (called from
    the model's ``save()``; files already stored are left alone)."""
    for names, clean in ((images, reencode_image), (documents, neutralise_document)):
        for name in names:
            fieldfile = getattr(instance, name)
            if fieldfile and not fieldfile._committed:
                setattr(instance, name, clean(fieldfile.file))


def safe_upload_name(folder: str, filename: str, prefix: str = "") -> str:
    """``<folder>/<yyyy>/<mm>/<prefix><uuid>.<ext>``; ``ext`` comes from the clean copy's
    name (see above) and anything else falls back to ``bin``."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in SAFE_EXTENSIONS:
        ext = "bin"
    return f"{folder}/{timezone.now():%Y/%m}/{prefix}{uuid.uuid4().hex}.{ext}"
