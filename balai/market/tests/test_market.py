"""Sellers, products and photos, the WhatsApp seller commands, sales, the public catalogue
with its counted order links, and the console."""

import datetime as dt
import io
from urllib.parse import parse_qs, urlsplit

from django.test import SimpleTestCase, override_settings
from django.utils import timezone

from balai.conversations.steps import words
from balai.conversations.tests.base import ConversationTestCase
from balai.market import parsing, sales
from balai.market.actions import MarketError, do_add_seller, do_count, do_record_sale
from balai.market.models import Category, DailyCount, Product, ProductPhoto, Sale, Seller, Stock
from balai.market.photos import PhotoError, derive, do_add_photo
from balai.market.tests.helpers import gps_exif, jpeg, make_product, make_seller
from balai.residents.models import Resident
from balai.test import BaseTestCase, ChannelTestCase
from balai.villages.roles import Role


class _P:
    def __init__(self, name, unit="buah"):
        self.name, self.unit = name, unit

    def __repr__(self):
        return self.name


class ParsingTest(SimpleTestCase):
    def test_captions(self):
        cases = {
            "sokasi bundar 25rb": ("Sokasi bundar", 25_000, "", Category.CRAFT),
            "Keripik pisang 15rb/bungkus": ("Keripik pisang", 15_000, "bungkus", Category.FOOD),
            "jual dulang ukir 300.000 nego": ("Dulang ukir", 300_000, "", Category.CRAFT),
            "Madu hutan Rp 120.000 per botol": ("Madu hutan", 120_000, "botol", Category.FOOD),
            "Canang sari 5000 sebiji": ("Canang sari", 5_000, "biji", Category.OFFERING),
            "sokasi bundar": ("Sokasi bundar", None, "", Category.CRAFT),
            "kain endek 1,5jt": ("Kain endek", 1_500_000, "", Category.CLOTHING),
        }
        for caption, (name, price, unit, category) in cases.items():
            with self.subTest(caption):
                parsed = parsing.parse_caption(caption)
                self.assertEqual(
                    (parsed.name, parsed.price, parsed.unit, parsed.category),
                    (name, price, unit, category),
                )

    def test_caption_on_several_lines(self):
        parsed = parsing.parse_caption("Sokasi Tiga Susun\nharga Rp 150.000\nanyaman halus")
        self.assertEqual((parsed.name, parsed.price), ("Sokasi Tiga Susun", 150_000))
        self.assertEqual(parsed.description, "anyaman halus")

    def test_sales(self):
        cases = {
            "laku 3 sokasi 75rb": (3, 75_000, False, "sokasi", 75_000),
            "terjual 5 bungkus 50 ribu": (5, 50_000, False, "", 50_000),
            "laku sokasi 2 biji 150.000": (2, 150_000, False, "sokasi", 150_000),
            "terjual 3 @50rb": (3, 50_000, True, "", 150_000),
            "tadi laku lima sokasi": (5, None, False, "sokasi", 125_000),
            "LAKU 4 SOKASI 200RB": (4, 200_000, False, "sokasi", 200_000),
        }
        for text, (quantity, amount, per_unit, query, total) in cases.items():
            with self.subTest(text):
                sale = parsing.parse_sale(text)
                self.assertTrue(parsing.is_sale(words(text)))
                self.assertEqual(
                    (sale.quantity, sale.amount, sale.per_unit, sale.query),
                    (quantity, amount, per_unit, query),
                )
                self.assertEqual(sale.total(25_000), total)
        self.assertTrue(parsing.parse_sale("kemarin laku 2 sokasi 50rb").yesterday)

    def test_product_matching(self):
        products = [
            _P("Sokasi bundar"),
            _P("Sokasi tiga susun"),
            _P("Keben"),
            _P("Keripik", "bungkus"),
        ]
        self.assertEqual(parsing.match_products("sokasi bundar", products), [products[0]])
        self.assertEqual(parsing.match_products("sokas bundr", products), [products[0]])
        self.assertEqual(parsing.match_products("keben", products), [products[2]])
        self.assertEqual(
            set(parsing.match_products("sokasi", products)), {products[0], products[1]}
        )
        self.assertEqual(parsing.match_products("kopi bubuk", products), [])
        sale = parsing.parse_sale("terjual 5 bungkus 50 ribu")
        self.assertEqual(parsing.product_for_sale(sale, products), [products[3]])


class PhotoTest(SimpleTestCase):
    def test_copies_are_resized_upright_and_without_metadata(self):
        from PIL import Image

        # Orientation 6: the camera was turned; the stored pixels are sideways.
        data = jpeg((2400, 1800), exif=gps_exif(orientation=6))
        derived = derive(data)
        self.assertEqual((derived.width, derived.height), (900, 1200))
        for blob, fmt in [(derived.jpeg, "JPEG"), (derived.webp, "WEBP"), (derived.thumb, "WEBP")]:
            with Image.open(io.BytesIO(blob)) as image:
                self.assertEqual(image.format, fmt)
                self.assertLessEqual(max(image.size), 1200)
                self.assertEqual(len(image.getexif()), 0, fmt)
                self.assertNotIn("exif", image.info)
                self.assertNotIn(b"Phone X", blob)
        with Image.open(io.BytesIO(derived.thumb)) as thumb:
            self.assertEqual(max(thumb.size), 480)

    def test_not_an_image_and_too_large_are_refused_clearly(self):
        with self.assertRaisesMessage(PhotoError, "tidak bisa dibaca sebagai foto"):
            derive(b"%PDF-1.7 not a photo")
        with self.assertRaisesMessage(PhotoError, "tidak bisa dibaca sebagai foto"):
            derive(jpeg()[:200])
        with self.assertRaisesMessage(PhotoError, "terlalu besar"):
            derive(b"\xff\xd8" + b"0" * (11 << 20))
        with self.assertRaisesMessage(PhotoError, "kosong"):
            derive(b"")

    def test_transparent_png_gets_a_white_background(self):
        from PIL import Image

        out = io.BytesIO()
        Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(out, "PNG")
        derived = derive(out.getvalue())
        with Image.open(io.BytesIO(derived.jpeg)) as image:
            self.assertEqual(image.getpixel((10, 10)), (255, 255, 255))


class SellerAndProductTest(BaseTestCase):
    def test_photos_keep_the_original_and_stop_at_five(self):
        seller = make_seller(self.village, self.resident)
        product = make_product(seller, photo=False)
        original = jpeg(exif=gps_exif())
        photo = do_add_photo(product, original, "IMG_0001.JPG")
        with photo.original.open("rb") as f:
            self.assertEqual(f.read(), original)  # kept as received (staff only)
        self.assertTrue(photo.original.name.endswith(".jpg"))
        for _ in range(ProductPhoto.MAX - 1):
            do_add_photo(product, jpeg(colour=(10, 20, 30)))
        with self.assertRaisesMessage(PhotoError, "sudah punya 5 foto"):
            do_add_photo(product, jpeg())
        self.assertEqual(list(product.photos.values_list("position", flat=True)), [0, 1, 2, 3, 4])

    def test_a_resident_is_a_seller_once_per_village(self):
        make_seller(self.village, self.resident)
        with self.assertRaisesMessage(MarketError, "sudah terdaftar"):
            do_add_seller(self.village, self.resident, business_name="Lagi")
        with self.assertRaisesMessage(MarketError, "bukan warga desa ini"):
            do_add_seller(self.village, self.other_resident, business_name="Lain")
        other = Resident.objects.create(village=self.village, name="Sari", phone="+6281211112222")
        second = do_add_seller(self.village, other, business_name="Sokasi Bu Sari")
        self.assertEqual(second.slug, "sokasi-bu-sari-2")

    def test_daily_counts(self):
        product = make_product(make_seller(self.village, self.resident), photo=False)
        day = dt.date(2026, 11, 2)
        for _ in range(3):
            do_count(product, "views", day)
        do_count(product, "order_clicks", day)
        count = DailyCount.objects.get(product=product, day=day)
        self.assertEqual((count.views, count.order_clicks), (3, 1))


class SalesFiguresTest(BaseTestCase):
    def setUp(self):
        self.seller = make_seller(self.village, self.resident)
        self.sokasi = make_product(self.seller, photo=False)
        self.keben = make_product(self.seller, name="Keben", price=85_000, photo=False)
        other = Resident.objects.create(village=self.village, name="Budi", phone="+6281233334444")
        self.other_seller = make_seller(self.village, other, name="Keripik Budi")

    def sale(self, seller, product, quantity, amount, day):
        return do_record_sale(
            seller, product=product, quantity=quantity, amount=amount, sold_on=day,
            source=Sale.Source.CONSOLE,
        )  # fmt: skip

    def test_monthly_totals_table_and_baseline(self):
        # Baseline: July–September, one sale a month of 50.000. Period: Oct–Nov, more.
        for month in (7, 8, 9):
            self.sale(self.seller, self.sokasi, 2, 50_000, dt.date(2026, month, 10))
        self.sale(self.seller, self.sokasi, 3, 75_000, dt.date(2026, 10, 3))
        self.sale(self.seller, self.keben, 1, 85_000, dt.date(2026, 10, 28))
        self.sale(self.seller, None, 1, 40_000, dt.date(2026, 11, 30))
        self.sale(self.other_seller, None, 10, 100_000, dt.date(2026, 11, 1))

        sums = sales.monthly_totals(sales.sales_of(self.village), "seller")
        self.assertEqual(sums[(self.seller.pk, dt.date(2026, 10, 1))], sales.Totals(4, 160_000, 2))

        table = sales.monthly_table(self.village, dt.date(2026, 9, 5), dt.date(2026, 11, 5))
        self.assertEqual(
            table.months, [dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
        )
        row = next(r for r in table.rows if r.key == self.seller)
        self.assertEqual([c.amount for c in row.cells], [50_000, 160_000, 40_000])
        self.assertEqual(table.total.amount, 350_000)

        by_product = sales.monthly_table(
            self.village, dt.date(2026, 10, 1), dt.date(2026, 11, 1), by="product",
            sellers=[self.seller],
        )  # fmt: skip
        self.assertEqual([r.key for r in by_product.rows], [self.keben, self.sokasi, None])

        (mine, theirs) = sorted(
            sales.compare_with_baseline(
                self.village,
                (dt.date(2026, 7, 1), dt.date(2026, 9, 1)),
                (dt.date(2026, 10, 1), dt.date(2026, 11, 1)),
            ),
            key=lambda c: c.key.business_name,
        )
        self.assertEqual(theirs.key, self.seller)  # "Sokasi Bu Sari" sorts after "Keripik"
        self.assertEqual(theirs.baseline_monthly, 50_000)
        self.assertEqual(theirs.period_monthly, 100_000)
        self.assertAlmostEqual(theirs.change, 1.0)
        self.assertIsNone(mine.change)  # nothing sold in the baseline

        rows = sales.monthly_rows(self.village, dt.date(2026, 10, 1), dt.date(2026, 11, 1))
        self.assertIn(
            {
                "month": dt.date(2026, 10, 1), "seller": "Sokasi Bu Sari",
                "seller_code": self.seller.code, "product": "Keben",
                "product_code": self.keben.code, "quantity": 1, "amount": 85_000, "count": 1,
            },
            rows,
        )  # fmt: skip
        self.assertEqual(sales.seller_month(self.seller, dt.date(2026, 11, 15)).amount, 40_000)

    def test_other_sellers_product_is_refused(self):
        with self.assertRaisesMessage(MarketError, "milik penjual lain"):
            self.sale(self.other_seller, self.sokasi, 1, 25_000, dt.date(2026, 11, 1))


# --- WhatsApp ----------------------------------------------------------------------------


class SellerChatTest(ConversationTestCase):
    WA_ID = "6281234567890"  # Siti Aminah (self.resident), a seller in these tests

    def setUp(self):
        super().setUp()
        self.seller = make_seller(self.village, self.resident)
        self.send("halo")  # greeting and menu out of the way

    def draft_from_photo(self, caption="sokasi bundar 25rb"):
        replies = self.photo(caption)
        image, buttons = replies[0], replies[-1]
        return image, buttons

    def test_photo_with_caption_becomes_a_draft_then_simpan_publishes_it(self):
        image, buttons = self.draft_from_photo()
        product = Product.objects.get(seller=self.seller)
        self.assertFalse(product.is_published)
        self.assertEqual(
            (product.name, product.price, product.category), ("Sokasi bundar", 25_000, "kerajinan")
        )
        self.assertEqual(product.photos.count(), 1)
        self.assertEqual(image["type"], "image")
        self.assertIn("/katalog/foto/", image["image"]["link"])
        body = self.body(buttons)
        for text in ["*Sokasi bundar*", "Rp 25.000 per buah", "Kategori: Kerajinan"]:
            self.assertIn(text, body)
        self.assertEqual([t for _i, t in self.choices(buttons)], ["Simpan", "Ubah", "Batal"])
        # The draft's photo link works for WhatsApp (signed), though the product is not public.
        path = urlsplit(image["image"]["link"]).path
        self.assertEqual(self.client.get(path)["Content-Type"], "image/jpeg")
        self.assertEqual(self.client.get(f"/d/pondok/katalog/{product.code}/").status_code, 404)

        replies = self.tap(buttons, "Simpan")
        product.refresh_from_db()
        self.assertTrue(product.is_published)
        self.assertIn("sudah tampil di katalog", self.texts(replies))
        self.assertIn(f"/d/pondok/katalog/{product.code}/", self.texts(replies))
        self.assertEqual(self.client.get(f"/d/pondok/katalog/{product.code}/").status_code, 200)
        # Tapping again does not publish twice.
        self.assertIn("sudah tampil", self.texts(self.tap(buttons, "Simpan")))

    def test_ubah_corrects_the_draft_and_more_photos_join_it(self):
        _image, buttons = self.draft_from_photo("sokasi bundar 25rb")
        self.assertIn("ketik yang benar", self.texts(self.tap(buttons, "Ubah")))
        replies = self.send("sokasi bundar besar 30rb")
        self.assertIn("*Sokasi bundar besar*", self.body(replies[-1]))
        self.assertIn("Rp 30.000", self.body(replies[-1]))
        replies = self.send("kategori upakara")
        self.assertIn("Kategori: Sarana upakara", self.body(replies[-1]))
        replies = self.send("satuan pasang")
        self.assertIn("per pasang", self.body(replies[-1]))
        replies = self.photo()  # no caption: a second photo of the same product
        self.assertIn("Foto ke-2", self.texts(replies))
        product = Product.objects.get(seller=self.seller)
        self.assertEqual(product.photos.count(), 2)
        self.assertEqual(
            (product.name, product.price, product.unit), ("Sokasi bundar besar", 30_000, "pasang")
        )

    def test_caption_without_price_asks_for_it(self):
        replies = self.photo("sokasi tiga susun")
        self.assertIn("Mohon ketik harga", self.body(replies[-1]))
        replies = self.send("150rb")
        self.assertEqual([t for _i, t in self.choices(replies[-1])], ["Simpan", "Ubah", "Batal"])
        self.assertEqual(Product.objects.get(seller=self.seller).price, 150_000)

    def test_batal_throws_the_draft_away(self):
        _image, buttons = self.draft_from_photo()
        self.assertIn("dibatalkan", self.texts(self.tap(buttons, "Batal")))
        self.assertFalse(Product.objects.filter(seller=self.seller).exists())
        self.assertFalse(ProductPhoto.objects.exists())

    def test_photo_without_caption_and_no_draft_says_what_to_do(self):
        self.assertIn("keterangan nama dan harga", self.texts(self.photo()))
        self.assertFalse(Product.objects.exists())

    def test_sale_is_confirmed_before_it_is_saved(self):
        make_product(self.seller, photo=False)
        replies = self.send("laku 3 sokasi 75rb")
        body = self.body(replies[-1])
        for text in [
            "Produk: Sokasi bundar",
            "Jumlah: 3 buah",
            "Rp 75.000 (3 × Rp 25.000)",
            "hari ini",
        ]:
            self.assertIn(text, body)
        self.assertFalse(Sale.objects.exists())
        replies = self.tap(replies[-1], "Benar")
        sale = Sale.objects.get()
        self.assertEqual(
            (sale.quantity, sale.amount, sale.product.name), (3, 75_000, "Sokasi bundar")
        )
        self.assertEqual(sale.source, "whatsapp")
        self.assertEqual(sale.text, "laku 3 sokasi 75rb")
        self.assertEqual(sale.sold_on, timezone.now().astimezone(self.village.tz).date())
        self.assertIn("Tercatat", self.texts(replies))
        self.assertIn("total Rp 75.000", self.texts(replies))

    def test_salah_saves_nothing_and_a_second_benar_does_not_double(self):
        make_product(self.seller, photo=False)
        confirm = self.send("terjual 2 sokasi")[-1]
        self.assertIn("Rp 50.000", self.body(confirm))  # from the catalogue price
        self.assertIn("ketik ulang", self.texts(self.tap(confirm, "Salah")))
        self.assertFalse(Sale.objects.exists())
        self.tap(confirm, "Benar")
        self.assertIn("sudah tercatat", self.texts(self.tap(confirm, "Benar")))
        self.assertEqual(Sale.objects.count(), 1)

    def test_unclear_product_is_picked_from_a_list(self):
        make_product(self.seller, photo=False)
        make_product(self.seller, name="Sokasi tiga susun", price=150_000, photo=False)
        replies = self.send("laku 1 sokasi 150rb")
        titles = [t for _i, t in self.choices(replies[-1])]
        self.assertEqual(titles, ["Sokasi bundar", "Sokasi tiga susun", "Produk lain"])
        confirm = self.tap(replies[-1], "Sokasi tiga susun")[-1]
        self.assertIn("Produk: Sokasi tiga susun", self.body(confirm))
        self.tap(confirm, "Benar")
        self.assertEqual(Sale.objects.get().product.name, "Sokasi tiga susun")

    def test_stock_and_price_commands(self):
        product = make_product(self.seller, photo=False)
        make_product(self.seller, name="Keben", price=85_000, photo=False)
        self.assertIn("*habis*", self.texts(self.send("habis sokasi bundar")))
        product.refresh_from_db()
        self.assertEqual(product.stock, Stock.SOLD_OUT)
        self.send("tersedia sokasi")
        product.refresh_from_db()
        self.assertEqual(product.stock, Stock.AVAILABLE)
        replies = self.send("ubah harga sokasi 30rb")
        self.assertIn("sekarang Rp 30.000", self.texts(replies))
        self.assertIn("sebelumnya Rp 25.000", self.texts(replies))
        product.refresh_from_db()
        self.assertEqual(product.price, 30_000)
        replies = self.send("produk saya")
        self.assertIn("Keben: Rp 85.000", self.texts(replies))
        self.assertIn("/katalog/penjual/sokasi-bu-sari/", self.texts(replies))

    def test_stopped_seller_gets_the_normal_assistant(self):
        Seller.objects.filter(pk=self.seller.pk).update(is_active=False)
        self.photo("sokasi bundar 25rb")
        self.assertFalse(Product.objects.exists())


class NonSellerChatTest(ConversationTestCase):
    """WA_ID is a new resident: not a seller."""

    def test_photos_of_other_people_are_untouched(self):
        replies = self.photo()
        self.assertIn("file Anda sudah kami terima", self.texts(replies))
        replies = self.photo("sokasi bundar 25rb")
        self.assertFalse(Product.objects.exists())
        self.assertNotIn("Draf produk", self.texts(replies))

    def test_sales_words_from_a_non_seller(self):
        replies = self.send("laku 3 sokasi 75rb")
        self.assertIn("untuk penjual yang terdaftar", self.texts(replies))
        self.assertFalse(Sale.objects.exists())

    def test_katalog_answers_with_the_link_and_matching_products(self):
        seller = make_seller(self.village, self.resident)
        make_product(seller)
        replies = self.send("katalog")
        self.assertIn("/d/pondok/katalog/", self.texts(replies))
        replies = self.send("ada jual sokasi bundar?")
        self.assertIn("*Sokasi bundar*: Rp 25.000", self.texts(replies))

    def test_order_through_the_village_number_is_passed_to_the_seller(self):
        seller = make_seller(self.village, self.resident, order_via_village=True)
        product = make_product(seller)
        from balai.market.catalogue import order_text

        replies = self.send(order_text(product))
        self.assertIn("sudah kami teruskan ke Sokasi Bu Sari", self.texts(replies))
        from balai.whatsapp.models import OutboundMessage

        relayed = OutboundMessage.objects.filter(
            resident=self.resident, purpose="market_order"
        ).get()
        self.assertIn("Sokasi bundar", relayed.payload["text"]["body"])
        self.assertIn("+6285712345678", relayed.payload["text"]["body"])


# --- the public catalogue ------------------------------------------------------------------


@override_settings(SITE_URL="https://balai.example")
class CatalogueTest(ChannelTestCase):
    def setUp(self):
        self.seller = make_seller(self.village, self.resident)
        self.product = make_product(self.seller, description="Anyaman halus, diameter 20 cm.")
        self.draft = make_product(self.seller, name="Sokasi draf", is_published=False)
        stopped = Resident.objects.create(village=self.village, name="Budi", phone="+6281233334444")
        self.stopped = make_seller(self.village, stopped, name="Toko Tutup")
        self.hidden = make_product(self.stopped, name="Keripik tutup", category=Category.FOOD)
        Seller.objects.filter(pk=self.stopped.pk).update(is_active=False)
        make_product(
            self.seller, name="Keripik pisang", category=Category.FOOD, price=15_000, photo=False
        )

    def test_catalogue_lists_published_products_of_active_sellers(self):
        response = self.client.get("/d/pondok/katalog/")
        self.assertContains(response, "Sokasi bundar")
        self.assertContains(response, "Rp 25.000")
        self.assertContains(response, "Keripik pisang")
        self.assertNotContains(response, "Sokasi draf")
        self.assertNotContains(response, "Keripik tutup")
        self.assertContains(response, 'loading="lazy"')
        self.assertContains(response, f'href="/d/pondok/katalog/{self.product.code}/pesan/"')
        self.assertNotIn("Set-Cookie", response)
        # Other village: nothing of Pondok.
        self.assertNotContains(self.client.get("/d/tigawasa/katalog/"), "Sokasi bundar")

    def test_search_and_categories(self):
        response = self.client.get("/d/pondok/katalog/", {"kategori": "makanan"})
        self.assertContains(response, "Keripik pisang")
        self.assertNotContains(response, "Sokasi bundar</a>")
        response = self.client.get("/d/pondok/katalog/", {"q": "sokas bundar"})  # a typo
        self.assertContains(response, "Sokasi bundar</a>")
        self.assertNotContains(response, "Keripik pisang")
        response = self.client.get("/d/pondok/katalog/", {"q": "kopi"})
        self.assertContains(response, "belum ada")

    def test_product_page_counts_views_and_has_open_graph(self):
        path = f"/d/pondok/katalog/{self.product.code}/"
        response = self.client.get(path)
        self.assertContains(response, "Pesan lewat WhatsApp")
        self.assertContains(
            response,
            f'<meta property="og:image" content="https://balai.example/d/pondok/katalog/{self.product.code}/foto/0/besar.jpg">',
            html=False,
        )
        self.assertContains(
            response, '<meta property="og:title" content="Sokasi bundar · Rp 25.000">'
        )
        self.assertContains(response, 'width="1200" height="900"')
        self.client.get(path, HTTP_USER_AGENT="WhatsApp/2.24.1 A")  # a link preview
        self.client.get(path, HTTP_USER_AGENT="facebookexternalhit/1.1")
        self.assertEqual(DailyCount.objects.get(product=self.product).views, 1)
        self.assertEqual(self.client.get(f"/d/pondok/katalog/{self.draft.code}/").status_code, 404)
        self.assertEqual(
            self.client.get(f"/d/tigawasa/katalog/{self.product.code}/").status_code, 404
        )

    def test_order_link_counts_the_click_and_opens_the_sellers_whatsapp(self):
        response = self.client.get(f"/d/pondok/katalog/{self.product.code}/pesan/")
        self.assertEqual(response.status_code, 302)
        target = urlsplit(response["Location"])
        self.assertEqual(
            (target.scheme, target.netloc, target.path), ("https", "wa.me", "/6281234567890")
        )
        text = parse_qs(target.query)["text"][0]
        self.assertIn("saya mau pesan *Sokasi bundar* (Rp 25.000 per buah)", text)
        self.assertIn(f"https://balai.example/d/pondok/katalog/{self.product.code}/", text)
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertNotIn("Set-Cookie", response)
        self.assertEqual(DailyCount.objects.get(product=self.product).order_clicks, 1)

        # Through the village's number: it relays, so the seller's number is not shown.
        Seller.objects.filter(pk=self.seller.pk).update(order_via_village=True)
        response = self.client.get(f"/d/pondok/katalog/{self.product.code}/pesan/")
        target = urlsplit(response["Location"])
        self.assertEqual(target.path, "/15550783881")
        self.assertTrue(
            parse_qs(target.query)["text"][0].startswith(f"PESAN {self.product.code}\n")
        )
        self.assertEqual(DailyCount.objects.get(product=self.product).order_clicks, 2)

    def test_photos_are_served_and_drafts_only_by_signed_link(self):
        from balai.market.catalogue import signed_photo_url

        base = f"/d/pondok/katalog/{self.product.code}/foto/0/"
        self.assertEqual(self.client.get(base + "besar.jpg")["Content-Type"], "image/jpeg")
        self.assertEqual(self.client.get(base + "besar.webp")["Content-Type"], "image/webp")
        self.assertEqual(self.client.get(base + "kecil.webp")["Content-Type"], "image/webp")
        self.assertEqual(self.client.get(base + "asli.jpg").status_code, 404)
        self.assertEqual(
            self.client.get(f"/d/pondok/katalog/{self.product.code}/foto/1/besar.jpg").status_code,
            404,
        )
        self.assertEqual(
            self.client.get(f"/d/pondok/katalog/{self.draft.code}/foto/0/besar.jpg").status_code,
            404,
        )
        signed = urlsplit(signed_photo_url(self.draft.photos.get())).path
        self.assertEqual(self.client.get(signed).status_code, 200)
        self.assertEqual(self.client.get(signed.replace("/pondok/", "/tigawasa/")).status_code, 404)
        self.assertEqual(self.client.get(signed[:-20] + "x" * 20).status_code, 404)

    def test_seller_page(self):
        response = self.client.get("/d/pondok/katalog/penjual/sokasi-bu-sari/")
        self.assertContains(response, "Sokasi Bu Sari")
        self.assertContains(response, "Keripik pisang")
        self.assertNotContains(response, "Sokasi draf")
        self.assertContains(response, "https://wa.me/6281234567890?text=")
        self.assertEqual(self.client.get("/d/pondok/katalog/penjual/toko-tutup/").status_code, 404)


# --- the console ---------------------------------------------------------------------------


class ConsoleTest(ChannelTestCase):
    def setUp(self):
        self.seller = make_seller(self.village, self.resident)
        self.product = make_product(self.seller)
        self.login(self.staff[Role.PENDAMPING])

    def url(self, name, *args):
        from django.urls import reverse

        return reverse(f"market:{name}", args=[self.village.slug, *args])

    def test_add_seller_from_participant_or_phone(self):
        from balai.programmes.models import Participant, Programme

        programme = Programme.objects.create(
            village=self.village, title="Pendampingan", purpose="x", target_group="pedagang",
            starts_on=dt.date(2026, 7, 1), ends_on=dt.date(2026, 9, 30),
        )  # fmt: skip
        person = Resident.objects.create(
            village=self.village, name="Darmaji", phone="+6281277778888"
        )
        participant = Participant.objects.create(
            programme=programme, resident=person, business="ikan"
        )
        response = self.client.post(
            self.url("seller_add"), {"participant": participant.pk, "business_name": "Ikan Segar"}
        )
        seller = Seller.objects.get(resident=person)
        self.assertRedirects(response, self.url("seller", seller.code))
        self.assertEqual(seller.slug, "ikan-segar")

        response = self.client.post(
            self.url("seller_add"), {"name": "Wagiyem", "phone": "0812 5555 6666"}
        )
        seller = Seller.objects.get(resident__phone="+6281255556666")
        self.assertEqual(seller.business_name, "Wagiyem")
        response = self.client.post(
            self.url("seller_add"), {"name": "Lagi", "phone": "081255556666"}
        )
        self.assertContains(response, "sudah terdaftar sebagai penjual")

    def test_product_with_photos_stock_and_delete(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        photo = SimpleUploadedFile("a.jpg", jpeg(), content_type="image/jpeg")
        bad = SimpleUploadedFile("b.pdf", b"%PDF-1.7", content_type="application/pdf")
        response = self.client.post(
            self.url("product_add"),
            {
                "seller": self.seller.pk, "name": "Keben persegi", "category": "kerajinan",
                "price": "85.000", "unit": "buah", "stock": "tersedia", "is_published": "on",
                "variants_text": "Ukuran: kecil, besar", "photos": [photo, bad],
            },
        )  # fmt: skip
        product = Product.objects.get(name="Keben persegi")
        self.assertRedirects(
            response, self.url("product", product.code), fetch_redirect_response=False
        )
        self.assertEqual(product.price, 85_000)
        self.assertEqual(product.variants, [{"name": "Ukuran", "options": ["kecil", "besar"]}])
        self.assertEqual(product.photos.count(), 1)
        page = self.client.get(self.url("product", product.code))
        self.assertContains(page, "b.pdf: File ini tidak bisa dibaca sebagai foto")

        self.client.post(self.url("product_stock", product.code), {"stok": "habis"})
        product.refresh_from_db()
        self.assertEqual(product.stock, "habis")
        self.client.post(self.url("photo_action", product.code, 0), {"aksi": "hapus"})
        self.assertEqual(product.photos.count(), 0)
        self.client.post(self.url("product_delete", product.code))
        self.assertFalse(Product.objects.filter(pk=product.pk).exists())

    def test_sale_entry_list_monthly_and_csv(self):
        response = self.client.post(
            self.url("sale_add"),
            {"seller": self.seller.pk, "product": self.product.pk, "quantity": 2,
             "amount": "50rb", "sold_on": "2026-10-05"},
        )  # fmt: skip
        self.assertRedirects(response, self.url("sales"), fetch_redirect_response=False)
        sale = Sale.objects.get()
        self.assertEqual(
            (sale.amount, sale.source, sale.recorded_by),
            (50_000, "console", self.staff[Role.PENDAMPING]),
        )
        self.assertContains(self.client.get(self.url("sales")), "50.000")
        page = self.client.get(
            self.url("sales_monthly"),
            {
                "dari": "2026-10",
                "sampai": "2026-11",
                "dasar_dari": "2026-07",
                "dasar_sampai": "2026-09",
            },
        )
        self.assertContains(page, "Sokasi Bu Sari")
        csv_text = self.client.get(
            self.url("sales_csv"), {"dari": "2026-10", "sampai": "2026-10"}
        ).content.decode()
        self.assertIn("2026-10,Sokasi Bu Sari,Sokasi bundar,2,50000,1", csv_text)
        self.client.post(self.url("sale_delete"), {"penjualan": sale.pk})
        self.assertFalse(Sale.objects.exists())

    def test_dpl_reads_but_cannot_change(self):
        self.login(self.staff[Role.DPL])
        self.assertEqual(self.client.get(self.url("product", self.product.code)).status_code, 200)
        self.assertEqual(
            self.client.post(
                self.url("product_stock", self.product.code), {"stok": "habis"}
            ).status_code,
            403,
        )

    def test_posters(self):
        response = self.client.get(self.url("catalogue_poster"))
        self.assertEqual(response["Content-Type"], "application/pdf")
        response = self.client.get(self.url("seller_poster", self.seller.code, "png"))
        self.assertEqual(response["Content-Type"], "image/png")


class QueryCountTest(ChannelTestCase):
    """List pages cost the same number of queries for 2 products or 12."""

    def queries(self, path) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.assertEqual(self.client.get(path).status_code, 200)
        return len(captured)

    def add(self, n):
        start = Seller.objects.count()
        for i in range(start, start + n):
            person = Resident.objects.create(
                village=self.village, name=f"Penjual {i}", phone=f"+628121000{i:04d}"
            )
            seller = make_seller(self.village, person, name=f"Usaha {i}")
            make_product(seller, name=f"Produk {i}")
            do_record_sale(
                seller, product=None, quantity=1, amount=10_000,
                sold_on=self.village.local_now().date(), source=Sale.Source.CONSOLE,
            )  # fmt: skip

    def test_catalogue_and_console_lists(self):
        self.login(self.staff[Role.PENDAMPING])
        paths = [
            "/d/pondok/katalog/",
            "/d/pondok/katalog/?q=produk",
            "/desa/pondok/umkm/",
            "/desa/pondok/umkm/produk/",
            "/desa/pondok/umkm/penjualan/",
            "/desa/pondok/umkm/penjualan/bulanan/",
        ]
        self.add(2)
        for path in paths:  # the first visit also saves the session's village
            self.queries(path)
        few = {path: self.queries(path) for path in paths}
        self.add(10)
        many = {path: self.queries(path) for path in paths}
        self.assertEqual(few, many)


class SellerChatStateTest(ConversationTestCase):
    WA_ID = "6281234567890"

    def setUp(self):
        super().setUp()
        make_seller(self.village, self.resident)
        self.send("halo")

    def test_village_words_still_work_while_a_draft_waits_for_a_correction(self):
        buttons = self.photo("sokasi bundar 25rb")[-1]
        self.tap(buttons, "Ubah")
        replies = self.send("terima kasih")
        self.assertNotIn("Draf produk", self.texts(replies))
        self.assertEqual(Product.objects.get().name, "Sokasi bundar")
        # The draft's buttons still work.
        self.tap(buttons, "Ubah")
        self.send("harga 27rb")
        self.assertEqual(Product.objects.get().price, 27_000)
        self.tap(buttons, "Simpan")
        self.assertTrue(Product.objects.get().is_published)
