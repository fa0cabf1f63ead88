"""Ready-to-post images and captions: exact sizes, Meta's file limits, text that stays inside
the picture for long names and high prices, caption rules, the signed public image address,
and sending the posts to the seller on WhatsApp through the simulator."""

import io
import re
from unittest import mock

from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image, ImageDraw

from balai.market import content
from balai.market.models import Post, Product, ProductPhoto, Seller
from balai.simulator.models import SimMessage
from balai.simulator.tests.base import SimulatorTestCase
from balai.test import BaseTestCase
from balai.villages.roles import Role

LONG_NAME = (
    "Sokasi anyaman bambu tali ukuran besar bertutup motif bunga teratai untuk banten "
    "odalan di pura desa"
)
assert len(LONG_NAME) == 100, len(LONG_NAME)


def photo_bytes(size=(1600, 1200)) -> bytes:
    """A photo-like JPEG: stripes and a round shape, like a woven box on a table."""
    img = Image.new("RGB", size, (176, 136, 88))
    draw = ImageDraw.Draw(img)
    for x in range(-size[1], size[0], 36):
        draw.line([(x, 0), (x + size[1], size[1])], fill=(120, 82, 40), width=12)
    w, h = size
    draw.ellipse([w * 0.3, h * 0.2, w * 0.7, h * 0.8], fill=(222, 190, 120), outline=(90, 50, 20))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    return out.getvalue()


def make_product(village, resident, *, name="Sokasi Bundar Motif Bunga", price=25000, **extra):
    seller = Seller.objects.filter(village=village, resident=resident).first()
    if seller is None:
        seller = Seller.objects.create(
            village=village,
            resident=resident,
            business_name="Anyaman Bu Sukarmi",
            slug=f"sukarmi-{village.slug}",
        )
    fields = {
        "category": "kerajinan",
        "unit": "buah",
        "description": "Dianyam tangan dari bambu tali Tigawasa. Kuat untuk tempat banten.",
        "is_published": True,
        **extra,
    }
    return Product.objects.create(seller=seller, village=village, name=name, price=price, **fields)


def add_photo(product, size=(1600, 1200)) -> ProductPhoto:
    photo = ProductPhoto(product=product, width=size[0], height=size[1])
    data = photo_bytes(size)
    photo.original.save("asli.jpg", ContentFile(data), save=False)
    photo.jpeg.save("foto.jpg", ContentFile(data), save=False)
    photo.save()
    return photo


def facts(**overrides) -> content.Facts:
    values = {
        "name": "Sokasi Bundar",
        "price": "Rp 25.000",
        "unit": "buah",
        "seller": "Anyaman Bu Sukarmi",
        "village": "Desa Tigawasa",
        "category": "Kerajinan",
        "description": "Dianyam tangan dari bambu tali.",
        "stock": "tersedia",
        "photo": Image.open(io.BytesIO(photo_bytes())).convert("RGB"),
    }
    values.update(overrides)
    return content.Facts(**values)


def close(pixel, colour, within=60) -> bool:
    return sum(abs(a - b) for a, b in zip(pixel, colour, strict=True)) < within


class ImagesTest(BaseTestCase):
    def test_every_style_in_both_formats_has_the_exact_size_and_fits_metas_limits(self):
        product = make_product(self.other_village, self.other_resident)
        add_photo(product)
        bare = make_product(self.other_village, self.other_resident, name="Canang Sari")
        for item in (product, bare):
            for style in content.STYLES:
                posts = content.do_generate_posts(item, style)
                self.assertEqual([p.format for p in posts], ["square", "portrait"])
                for post in posts:
                    with self.subTest(product=item.name, style=style, format=post.format):
                        self.assertEqual(post.style, style)
                        with post.image.open("rb") as f:
                            data = f.read()
                        img = Image.open(io.BytesIO(data))
                        self.assertEqual(img.format, "JPEG")
                        self.assertEqual(img.mode, "RGB")
                        self.assertEqual(img.size, content.FORMATS[post.format])
                        # Facebook photos ≤ 4 MB, Instagram ≤ 8 MB: far below, in practice.
                        self.assertLess(len(data), content.MAX_JPEG_BYTES)
                        self.assertLess(len(data), 1024 * 1024)
                        ratio = img.width / img.height
                        self.assertGreaterEqual(ratio, content.INSTAGRAM_ASPECT[0])
                        self.assertLessEqual(ratio, content.INSTAGRAM_ASPECT[1])
                        self.assertEqual(post.caption, content.build_caption(item))

    def test_default_style_suits_the_category(self):
        product = make_product(self.other_village, self.other_resident)
        posts = content.do_generate_posts(product)
        self.assertEqual({p.style for p in posts}, {"tradisi"})
        food = make_product(self.village, self.resident, name="Keripik Pisang", category="makanan")
        self.assertEqual(content.default_style(food), "pasar")
        self.assertEqual(content.do_generate_posts(food, "nonsense")[0].style, "pasar")

    def test_a_photo_is_drawn_and_without_one_the_design_is_typographic(self):
        with_photo = content.render(facts(), "bersih", "square")
        without = content.render(facts(photo=None), "bersih", "square")
        self.assertTrue(with_photo.has_photo)
        self.assertFalse(without.has_photo)
        # The photo's brown stripes are in the picture area only when there is a photo.
        sample = with_photo.image.getpixel((540, 300))
        self.assertFalse(close(sample, content.STYLES["bersih"].background))
        # Without a photo the name is set large in the panel, the description line under it.
        self.assertIn("about", without.blocks)
        self.assertGreater(without.blocks["name"].size, with_photo.blocks["name"].size)

    def test_missing_fonts_fall_back_to_pillows_own(self):
        content.font_path.cache_clear()
        content.font.cache_clear()
        try:
            with (
                mock.patch.object(content, "FONT_DIRS", []),
                mock.patch("shutil.which", return_value=None),
            ):
                self.assertIsNone(content.font_path(True, False))
                with self.assertLogs("balai.market.content", "WARNING"):
                    content.font_path.cache_clear()
                    content.font_path(False, False)
                layout = content.render(facts(name=LONG_NAME), "pasar", "square")
            for block in layout.blocks.values():
                for box in block.bboxes:
                    self.assertTrue(
                        box[0] >= 0 and box[2] <= 1080 and box[1] >= 0 and box[3] <= 1080
                    )
        finally:
            content.font_path.cache_clear()
            content.font.cache_clear()


class TextFitsTest(BaseTestCase):
    """A 100-character name and "Rp 12.500.000" in every style, format, with and without a
    photo: every line's ink box lies inside its box and the canvas; the price is never cut;
    the pixels say the same."""

    def assert_inside(self, inner, outer, what):
        self.assertTrue(
            outer[0] <= inner[0]
            and outer[1] <= inner[1]
            and inner[2] <= outer[2]
            and inner[3] <= outer[3],
            f"{what}: {inner} is not inside {outer}",
        )

    def test_long_name_and_high_price_stay_inside(self):
        cases = {
            "long": facts(
                name=LONG_NAME,
                price="Rp 12.500.000",
                unit="set isi lima buah dengan tutup",
                seller="Kelompok Perajin Anyaman Bambu Tali Wanita Tani Sari Merta Dusun Dauh Pura",
                village="Desa Tigawasa Kecamatan Banjar Kabupaten Buleleng",
                stock="pesanan",
            ),
            "one long word": facts(name="Sokasi" * 17, price="Rp 12.500.000"),
        }
        for label, base in cases.items():
            for photo in (base.photo, None):
                base.photo = photo
                for style in content.STYLES:
                    for fmt, (width, height) in content.FORMATS.items():
                        layout = content.render(base, style, fmt)
                        where = f"{label}/{style}/{fmt}/{'photo' if photo else 'type'}"
                        with self.subTest(where):
                            self.check_layout(layout, width, height, where)

    def check_layout(self, layout, width, height, where):
        self.assertEqual(layout.image.size, (width, height))
        canvas = (0, 0, width, height)
        for name, block in layout.blocks.items():
            self.assertTrue(block.bboxes, f"{where}: {name} drew nothing")
            for bbox in block.bboxes:
                self.assert_inside(bbox, block.box, f"{where} {name}")
                self.assert_inside(bbox, canvas, f"{where} {name}")
        name = layout.blocks["name"]
        if name.cut:
            self.assertTrue(name.lines[-1].endswith("…"), where)
        self.assertGreaterEqual(name.size, 40, f"{where}: name too small to read on a phone")
        price = layout.blocks["price"]
        self.assertEqual(price.lines, ["Rp 12.500.000"], where)
        self.assertFalse(price.cut, where)
        self.assertGreaterEqual(price.size, 44, where)
        image = layout.image
        # Pixels: the price's ink colour is really inside its box...
        x0, y0, x1, y1 = price.bbox
        inked = sum(
            close(image.getpixel((x, y)), price.fill)
            for x in range(x0, x1, 3)
            for y in range(y0, y1, 3)
        )
        self.assertGreater(inked, 20, f"{where}: no price ink drawn")
        # ...and nothing of the name's ink colour lies in the strip between its box and the
        # canvas edge (text that ran over would be there).
        _left, top, right, bottom = name.box
        stray = [
            (x, y)
            for x in range(right + 2, width, 2)
            for y in range(top, bottom, 2)
            if close(image.getpixel((x, y)), name.fill, 30)
        ]
        self.assertEqual(stray, [], f"{where}: name ink right of its box")

    def test_wrap_breaks_a_word_wider_than_the_box(self):
        draw = ImageDraw.Draw(Image.new("RGB", (400, 400)))
        block = content.fit_text(
            draw,
            "t",
            "A" * 80,
            (10, 10, 210, 390),
            fill=(0, 0, 0),
            max_size=60,
            min_size=30,
            max_lines=3,
        )
        self.assertLessEqual(len(block.lines), 3)
        self.assertTrue(block.cut)
        self.assertTrue(block.lines[-1].endswith("…"))
        for bbox in block.bboxes:
            self.assertTrue(bbox[0] >= 10 and bbox[2] <= 210 and bbox[1] >= 10 and bbox[3] <= 390)

    def test_text_shrinks_before_it_is_cut(self):
        draw = ImageDraw.Draw(Image.new("RGB", (1080, 1080)))
        short = content.fit_text(
            draw, "t", "Rp 25.000", (0, 0, 900, 120), fill=(0, 0, 0), max_size=80, min_size=40
        )
        long = content.fit_text(
            draw,
            "t",
            "Rp 12.500.000.000",
            (0, 0, 500, 120),
            fill=(0, 0, 0),
            max_size=80,
            min_size=20,
        )
        self.assertEqual(short.size, 80)
        self.assertLess(long.size, 80)
        self.assertFalse(long.cut)


class CaptionTest(BaseTestCase):
    def hashtags_in(self, caption):
        return re.findall(r"#\S+", caption)

    def test_caption_says_what_why_price_how_and_tags(self):
        product = make_product(self.other_village, self.other_resident)
        caption = content.build_caption(product)
        self.assertIn("Sokasi Bundar Motif Bunga", caption)
        self.assertIn("Anyaman Bu Sukarmi", caption)
        self.assertIn("Desa Tigawasa", caption)
        self.assertIn("Dianyam tangan dari bambu tali Tigawasa", caption)  # the seller's words
        self.assertIn("Rp 25.000 per buah", caption)
        link = content.order_link(product)
        self.assertTrue(link)
        self.assertIn(link, caption)
        tags = self.hashtags_in(caption)
        self.assertEqual(
            tags, ["#sokasi", "#kerajinanbali", "#umkmdesa", "#tigawasa", "#sokasibundar"]
        )
        self.assertTrue(caption.endswith(" ".join(tags)))

    def test_hashtag_rules_hold_for_awkward_names(self):
        names = [
            "Kopi",
            "Tigawasa",  # the same as the village: no duplicate
            "Paket 3 Jumbo",  # nothing meaningful in the name
            "Bánh Kué Lapis Legit Spesial Rasa Pandan Wangi",
            "🍌 Keripik Pisang Manis! (200 gr)",
            "ÁÉ 123 ---",
        ]
        for category in ("kerajinan", "makanan", "lainnya"):
            for name in names:
                product = make_product(
                    self.other_village, self.other_resident, name=name, category=category
                )
                tags = self.hashtags_in(content.build_caption(product))
                with self.subTest(name=name, category=category, tags=tags):
                    self.assertGreaterEqual(len(tags), 3)
                    self.assertLessEqual(len(tags), 5)
                    self.assertEqual(len(tags), len(set(tags)))
                    for tag in tags:
                        self.assertRegex(tag, r"^#[a-z0-9]{3,30}$")
                    self.assertIn("#umkmdesa", tags)

    def test_region_and_category_tags(self):
        food = make_product(self.village, self.resident, name="Keripik Pisang", category="makanan")
        tags = self.hashtags_in(content.build_caption(food))
        self.assertEqual(
            tags, ["#keripik", "#kulinerjateng", "#umkmdesa", "#pondok", "#keripikpisang"]
        )

    def test_high_price_and_long_description_stay_under_instagrams_limits(self):
        product = make_product(
            self.other_village,
            self.other_resident,
            name=LONG_NAME,
            price=12_500_000,
            description=("Anyaman rapat dan halus, dikerjakan berhari-hari. " * 60).strip(),
        )
        caption = content.build_caption(product)
        self.assertLessEqual(len(caption), content.CAPTION_MAX)
        self.assertLessEqual(caption.count("#"), content.HASHTAGS_MAX)
        self.assertIn("Rp 12.500.000", caption)
        self.assertIn("…", caption)  # the description was shortened, not the rest
        self.assertIn(content.order_link(product), caption)
        self.assertEqual(len(self.hashtags_in(caption)), 5)
        # Under a WhatsApp image (1,024 characters) the price, link and tags survive.
        short = content.whatsapp_caption(caption)
        self.assertLessEqual(len(short), 1024)
        self.assertIn("Rp 12.500.000", short)
        self.assertIn(content.order_link(product), short)
        self.assertTrue(short.endswith(" ".join(self.hashtags_in(caption))))

    def test_no_description_means_no_invented_claims(self):
        product = make_product(self.other_village, self.other_resident, description="")
        caption = content.build_caption(product)
        self.assertIn("Kerajinan dari Anyaman Bu Sukarmi, Desa Tigawasa", caption)
        for claim in ("terbaik", "kualitas", "100%", "dijamin", "asli"):
            self.assertNotIn(claim, caption.lower())

    def test_draft_orders_through_whatsapp_directly(self):
        draft = make_product(self.other_village, self.other_resident, is_published=False)
        link = content.order_link(draft)
        self.assertTrue(link.startswith("https://wa.me/"), link)


class SignedImageTest(BaseTestCase):
    def setUp(self):
        product = make_product(self.village, self.resident)
        self.post = content.do_generate_posts(product, "bersih")[0]

    def test_the_signed_address_serves_the_image_without_login(self):
        url = content.image_url(self.post)
        path = url.removeprefix("http://127.0.0.1:8000").removeprefix(content.settings.SITE_URL)
        self.assertTrue(path.startswith("/umkm/gambar/"))
        response = self.client.get(path)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/jpeg")
        body = b"".join(response.streaming_content)
        with self.post.image.open("rb") as f:
            self.assertEqual(body, f.read())
        self.assertEqual(self.client.head(path).status_code, 200)
        self.assertEqual(self.client.post(path).status_code, 405)

    def test_a_forged_or_expired_address_is_404(self):
        token = content.image_token(self.post)
        code, stamp, signature = token.split(".")
        other = make_product(self.other_village, self.other_resident)
        other_post = content.do_generate_posts(other, "pasar")[0]
        forged = [
            f"{code}.{stamp}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
            f"{other_post.code}.{stamp}.{signature}",  # another post under this signature
            "nothing",
            f"{code}",
        ]
        for bad in forged:
            with self.subTest(bad):
                url = reverse("market:post_image", args=[bad])
                self.assertEqual(self.client.get(url).status_code, 404)
        # Made eight days ago: past LINK_MAX_AGE.
        with mock.patch(
            "django.core.signing.time.time", return_value=content.time.time() - 8 * 86400
        ):
            old = content.image_token(self.post)
        self.assertEqual(self.client.get(reverse("market:post_image", args=[old])).status_code, 404)
        fresh = reverse("market:post_image", args=[content.image_token(self.post)])
        self.assertEqual(self.client.get(fresh).status_code, 200)


class ConsolePagesTest(BaseTestCase):
    def setUp(self):
        self.product = make_product(self.village, self.resident)
        add_photo(self.product)

    def url(self, name, *args):
        return reverse(f"market:{name}", args=[self.village.slug, *args])

    def test_facilitator_makes_previews_and_downloads_posts(self):
        self.login(self.staff[Role.PENDAMPING])
        response = self.client.post(
            self.url("content_generate", self.product.code), {"gaya": "pasar"}
        )
        self.assertRedirects(response, self.url("content_product", self.product.code))
        posts = list(self.product.posts.all())
        self.assertEqual(len(posts), 2)
        page = self.client.get(self.url("content_product", self.product.code))
        self.assertContains(page, "Gaya Pasar")
        self.assertContains(page, "1080×1350")
        self.assertContains(page, "#kerajinanjateng #umkmdesa #pondok")
        for post in posts:
            self.assertContains(page, self.url("content_image", post.code))
            image = self.client.get(self.url("content_image", post.code) + "?unduh=1")
            self.assertEqual(image.status_code, 200)
            self.assertIn("attachment", image["Content-Disposition"])
            text = self.client.get(self.url("content_caption", post.code) + "?unduh=1")
            self.assertEqual(text.content.decode(), post.caption)
        archive = self.client.get(self.url("content_zip", self.product.code))
        self.assertEqual(archive["Content-Type"], "application/zip")
        import zipfile

        names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
        self.assertEqual(len(names), 3)
        self.assertIn("keterangan.txt", names)
        index = self.client.get(self.url("content_index"))
        self.assertContains(index, self.product.name)
        self.assertContains(index, "2 gambar")

    def test_dpl_reads_but_cannot_make(self):
        content.do_generate_posts(self.product)
        self.login(self.staff[Role.DPL])
        self.assertEqual(
            self.client.get(self.url("content_product", self.product.code)).status_code, 200
        )
        response = self.client.post(self.url("content_generate", self.product.code))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.product.posts.count(), 2)
        page = self.client.get(self.url("content_product", self.product.code))
        self.assertNotContains(page, "Buat gambar dan keterangan")

    def test_send_without_a_whatsapp_number_says_so(self):
        self.login(self.operator)
        response = self.client.post(self.url("content_send", self.product.code), follow=True)
        self.assertContains(response, "Desa belum punya nomor WhatsApp")
        self.assertEqual(self.product.posts.count(), 2)  # made for sending anyway

    def test_index_query_count_does_not_grow_with_products(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.login(self.operator)
        content.do_generate_posts(self.product, "bersih")
        self.client.get(self.url("content_index"))
        with CaptureQueriesContext(connection) as one:
            self.client.get(self.url("content_index"))
        for i in range(5):
            product = make_product(self.village, self.resident, name=f"Produk {i}")
            content.do_generate_posts(product, "bersih")
        with CaptureQueriesContext(connection) as six:
            response = self.client.get(self.url("content_index"))
        self.assertContains(response, "Produk 4")
        self.assertEqual(len(six), len(one))


@override_settings(WHATSAPP_PAIR_BURST=45, WHATSAPP_PAIR_INTERVAL_SECONDS=1)
class SendToSellerTest(SimulatorTestCase):
    """The seller (Siti Aminah, who just wrote to the village) receives the images with the
    caption and then the caption alone, through Balai's real outbox and the fake Cloud API."""

    def test_images_then_caption_reach_the_seller(self):
        product = make_product(self.village, self.resident)
        add_photo(product)
        posts = content.do_generate_posts(product, "bersih")
        self.say(text="Simpan")  # the seller's tap opens the 24-hour window
        with self.round_trip():
            queued = content.do_send_posts_to_seller(product, posts)
        self.assertEqual(queued, 3)
        out = list(
            SimMessage.objects.filter(
                direction="out", wa_id=self.WA_ID, payload__type__in=["image", "text"]
            )
            .order_by("pk")
            .values_list("payload", flat=True)
        )
        images = [p for p in out if p["type"] == "image"]
        texts = [p for p in out if p["type"] == "text"]
        self.assertEqual(len(images), 2)
        self.assertEqual(texts[-1]["text"]["body"], posts[0].caption)
        for payload, post in zip(images, posts, strict=True):
            self.assertEqual(payload["image"]["caption"], post.caption)
            link = payload["image"]["link"]
            self.assertTrue(link.startswith(content.settings.SITE_URL + "/umkm/gambar/"))
            response = self.client.get(link.removeprefix(content.settings.SITE_URL))
            self.assertEqual(response.status_code, 200)
            img = Image.open(io.BytesIO(b"".join(response.streaming_content)))
            self.assertEqual(img.size, content.FORMATS[post.format])
        self.assertEqual(content.do_send_posts_to_seller(product, []), 0)

    def test_console_button_sends_to_the_seller(self):
        product = make_product(self.village, self.resident)
        self.say(text="halo")
        self.login(self.staff[Role.PENDAMPING])
        with self.round_trip():
            response = self.client.post(
                reverse("market:content_send", args=[self.village.slug, product.code]),
                {"gaya": "tradisi"},
                follow=True,
            )
        self.assertContains(response, "3 pesan dikirim ke WhatsApp Anyaman Bu Sukarmi")
        self.assertEqual(
            set(Post.objects.filter(product=product).values_list("style", flat=True)), {"tradisi"}
        )
        sent = SimMessage.objects.filter(direction="out", wa_id=self.WA_ID, payload__type="image")
        self.assertEqual(sent.count(), 2)
