"""Validators shared by site, snapshot and activity uploads."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


def validate_image_file(file):
    """Accept only real raster images (checked by Pillow, not by the file name), at most
    ``MAX_IMAGE_BYTES`` bytes and ``MAX_IMAGE_PIXELS`` pixels (decompression bombs)."""
    max_bytes = settings.MAX_IMAGE_BYTES
    if file.size is not None and file.size > max_bytes:
        raise ValidationError(
            _("The image is %(size).1f MB; the limit is %(limit)d MB."),
            code="image_too_large",
            params={"size": file.size / 1024 / 1024, "limit": max_bytes // 1024 // 1024},
        )
    pos = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        with Image.open(file) as img:
            fmt = img.format
            width, height = img.size
            if fmt not in ALLOWED_IMAGE_FORMATS:
                raise ValidationError(
                    _("Only JPEG, PNG, WebP or GIF images are accepted."), code="image_format"
                )
            if width * height > settings.MAX_IMAGE_PIXELS:
                raise ValidationError(
                    _("The image is too large (%(w)d × %(h)d pixels)."),
                    code="image_pixels",
                    params={"w": width, "h": height},
                )
            img.verify()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses to even open it: a header claiming a huge number of pixels.
        raise ValidationError(
            _("The image has far too many pixels to be a photo."), code="image_pixels"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The file is not a valid image. Upload a photo (JPEG, PNG, WebP)."),
            code="invalid_image",
        ) from None
    finally:
        if pos is not None:
            file.seek(pos)


class ImageUploadField(forms.FileField):
    """The form field of every image upload (site photo, org chart, activity photo): a
    plain file field, so the image is judged only by :func:`validate_image_file` (run by the
    model field, or by ``activities.photos``) with its precise messages. Django's ImageField
    opens the file first and answers a pixel bomb with its generic "not a valid image"."""


def validate_document_file(file):
    """SK documents: a PDF or an image, at most 5 MB."""
    if file.size is not None and file.size > settings.MAX_IMAGE_BYTES:
        raise ValidationError(
            _("The file is %(size).1f MB; the limit is %(limit)d MB."),
            code="file_too_large",
            params={
                "size": file.size / 1024 / 1024,
                "limit": settings.MAX_IMAGE_BYTES // 1024 // 1024,
            },
        )
    file.seek(0)
    head = file.read(5)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return
    validate_image_file(file)
