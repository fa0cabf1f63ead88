import io

from balai.market.models import Product, Seller


def jpeg(size=(1600, 1200), colour=(180, 120, 60), exif=None) -> bytes:
    from PIL import Image

    image = Image.new("RGB", size, colour)
    out = io.BytesIO()
    if exif is not None:
        image.save(out, "JPEG", quality=90, exif=exif)
    else:
        image.save(out, "JPEG", quality=90)
    return out.getvalue()


def gps_exif(orientation: int | None = None):
    """EXIF with a GPS position (a house in Tigawasa) and a phone model, as phones write."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # Model
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "S"
    gps[2] = (8.0, 9.0, 30.0)
    gps[3] = "E"
    gps[4] = (115.0, 2.0, 10.0)
    return exif


def make_seller(village, resident, name="Sokasi Bu Sari", **kwargs) -> Seller:
    from balai.market.actions import do_add_seller

    return do_add_seller(village, resident, business_name=name, **kwargs)


def make_product(seller, name="Sokasi bundar", price=25_000, photo=True, **kwargs) -> Product:
    from balai.market.photos import do_add_photo

    product = Product.objects.create(
        seller=seller,
        village=seller.village,
        name=name,
        price=price,
        is_published=kwargs.pop("is_published", True),
        **kwargs,
    )
    if photo:
        do_add_photo(product, jpeg(), "foto.jpg")
    return product
