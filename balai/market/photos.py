"""Product photos: the original kept as received, and three copies made with Pillow for the
catalogue — a JPEG and a WebP at most 1200 px on the long side, and a 480-px WebP thumbnail.

The copies are turned upright (phones store the rotation in EXIF) and carry no metadata: a
phone photo's EXIF holds the GPS position of the maker's house and the phone's model, and
the catalogue is public. The original stays on the server for staff and is never served.
"""

import hashlib
import io
import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from balai.market.models import Product, ProductPhoto

logger = logging.getLogger(__name__)

MAX_BYTES = 10 << 20  # a console upload; WhatsApp's own limit for images is 5 MB
MAX_PIXELS = 50_000_000  # a 50-megapixel photo is the largest a phone takes
LARGE = 1200
THUMB = 480
JPEG_QUALITY = 82
WEBP_QUALITY = 78
THUMB_QUALITY = 72
FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO", "GIF", "BMP"}


class PhotoError(ValueError):
    """A file that cannot become a product photo; the message is shown to the person."""


@dataclass
class Derived:
    jpeg: bytes
    webp: bytes
    thumb: bytes
    width: int
    height: int


def _encode(image, fmt: str, quality: int) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
    else:
        image.save(out, "WEBP", quality=quality, method=2)  # method 4+ costs twice as long
    return out.getvalue()


def derive(data: bytes) -> Derived:
    """The catalogue's copies of one photo, or PhotoError with a message for the person."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise PhotoError("Filenya kosong. Silakan kirim fotonya lagi.")
    if len(data) > MAX_BYTES:
        raise PhotoError(
            f"Foto terlalu besar ({len(data) / 1048576:.1f} MB). Kirim foto paling besar "
            f"{MAX_BYTES >> 20} MB."
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in FORMATS:
                raise PhotoError("Jenis file ini bukan foto yang bisa dipakai. Kirim foto JPG/PNG.")
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoError("Ukuran foto terlalu besar. Kirim foto dari kamera HP biasa.")
            # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale directly: a 12-megapixel phone
            # photo then costs a quarter of the work (still at least LARGE on each side).
            probe.draft("RGB", (LARGE, LARGE))
            probe.load()
            image = ImageOps.exif_transpose(probe)
            if image.mode in {"RGBA", "LA", "P"}:
                # A transparent PNG gets a white background, as on a product page.
                image = image.convert("RGBA")
                flat = Image.new("RGB", image.size, (255, 255, 255))
                flat.paste(image, mask=image.getchannel("A"))
                image = flat
            else:
                image = image.convert("RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise PhotoError(
            "File ini tidak bisa dibaca sebagai foto. Kirim foto produk dalam bentuk gambar "
            "(JPG atau PNG)."
        ) from None
    large = image.copy()
    large.thumbnail((LARGE, LARGE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    thumb = large.copy()
    thumb.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # A fresh image object carries no EXIF, ICC or XMP: nothing is passed to save().
    return Derived(
        jpeg=_encode(large, "JPEG", JPEG_QUALITY),
        webp=_encode(large, "WEBP", WEBP_QUALITY),
        thumb=_encode(thumb, "WEBP", THUMB_QUALITY),
        width=large.width,
        height=large.height,
    )


def _extension(data: bytes, filename: str) -> str:
    head = data[:12]
    if head.startswith(b"\xff\xd8"):
        return "jpg"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix.isalnum() and len(suffix) <= 5 else "bin"


def do_add_photo(product: Product, data: bytes, filename: str = "") -> ProductPhoto:
    """Add a photo as the product's last (at most ``ProductPhoto.MAX``); PhotoError if it is
    not a usable image or the product already has five."""
    if product.photos.count() >= ProductPhoto.MAX:
        raise PhotoError(
            f"Produk ini sudah punya {ProductPhoto.MAX} foto. Hapus salah satu dulu untuk "
            "menambah foto baru."
        )
    derived = derive(data)
    stem = hashlib.sha256(data).hexdigest()[:16]
    with transaction.atomic():
        last = product.photos.order_by("-position").values_list("position", flat=True).first()
        photo = ProductPhoto(
            product=product,
            position=0 if last is None else last + 1,
            width=derived.width,
            height=derived.height,
        )
        photo.original.save(f"{stem}.{_extension(data, filename)}", ContentFile(data), save=False)
        photo.jpeg.save(f"{stem}.jpg", ContentFile(derived.jpeg), save=False)
        photo.webp.save(f"{stem}.webp", ContentFile(derived.webp), save=False)
        photo.thumb.save(f"{stem}-kecil.webp", ContentFile(derived.thumb), save=False)
        photo.save()
    return photo


def delete_files(photos) -> None:
    """Remove the files of deleted photos once the deletion has committed."""
    names = [
        (field.storage, field.name)
        for photo in photos
        for field in (photo.original, photo.jpeg, photo.webp, photo.thumb)
        if field
    ]

    def remove():
        for storage, name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("could not delete %s", name)

    transaction.on_commit(remove)


def do_remove_photo(photo: ProductPhoto) -> None:
    product = photo.product
    with transaction.atomic():
        photo.delete()
        delete_files([photo])
        for position, other in enumerate(product.photos.order_by("position", "pk")):
            if other.position != position:
                ProductPhoto.objects.filter(pk=other.pk).update(position=position)


def do_move_photo_first(photo: ProductPhoto) -> None:
    """Make ``photo`` the cover (the catalogue's and the social posts' picture)."""
    product = photo.product
    with transaction.atomic():
        others = [p for p in product.photos.order_by("position", "pk") if p.pk != photo.pk]
        for position, other in enumerate([photo, *others]):
            ProductPhoto.objects.filter(pk=other.pk).update(position=position)
