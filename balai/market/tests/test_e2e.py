"""End to end through the simulator: a sokasi maker in Tigawasa adds a product by sending a
photo with a caption, saves it, gets the ready-to-post images and caption back on WhatsApp,
reports a sale; a buyer finds the product in the public catalogue and the order link opens
the maker's WhatsApp with the product and price typed."""

from urllib.parse import parse_qs, urlsplit

from django.test import override_settings

from balai.conversations.tests.base import ConversationTestCase
from balai.market.models import DailyCount, Post, Product, Sale
from balai.market.tests.helpers import make_seller
from balai.residents.models import Resident


@override_settings(SITE_URL="http://testserver")
class SellerEndToEndTest(ConversationTestCase):
    PNID = "106540352242923"  # Tigawasa's number
    WA_ID = "6281999888777"  # Ni Wayan Sukarmi (other_resident), a sokasi maker

    def setUp(self):
        super().setUp()
        self.seller = make_seller(self.other_village, self.other_resident, name="Sokasi Bu Sukarmi")

    def test_photo_to_catalogue_posts_sale_and_order_link(self):
        self.send("om swastyastu")

        # 1. A photo with a caption becomes a draft, shown back with its photo.
        replies = self.photo("sokasi bundar 25rb")
        image, draft = replies[0], replies[-1]
        self.assertEqual(image["type"], "image")
        self.assertIn("*Sokasi bundar*", self.body(draft))
        self.assertIn("Harga: Rp 25.000 per buah", self.body(draft))
        self.assertIn("Kategori: Kerajinan", self.body(draft))

        # 2. Simpan: in the catalogue, and the post images and caption come back.
        replies = self.tap(draft, "Simpan")
        product = Product.objects.get(seller=self.seller)
        self.assertTrue(product.is_published)
        posts = list(Post.objects.filter(product=product))
        self.assertGreaterEqual(len(posts), 2)
        self.assertEqual({p.format for p in posts}, {"square", "portrait"})
        images = [r for r in replies if r["type"] == "image"]
        self.assertEqual(len(images), len(posts))
        for sent in images:
            self.assertIn("Rp 25.000", sent["image"]["caption"])
            path = urlsplit(sent["image"]["link"]).path
            self.assertEqual(self.client.get(path)["Content-Type"], "image/jpeg")
        caption = [r for r in replies if r["type"] == "text"][-1]["text"]["body"]
        self.assertIn("Sokasi bundar", caption)
        self.assertIn("#", caption)  # hashtags, ready to paste

        # 3. A sale in the maker's own words, confirmed, saved.
        confirm = self.send("laku 3 sokasi 75rb")[-1]
        self.assertIn("Uang diterima: Rp 75.000", self.body(confirm))
        self.tap(confirm, "Benar")
        sale = Sale.objects.get(seller=self.seller)
        self.assertEqual((sale.quantity, sale.amount, sale.product), (3, 75_000, product))

        # 4. A buyer: the catalogue lists it; the order link counts and opens WhatsApp.
        catalogue = self.client.get("/d/tigawasa/katalog/")
        self.assertContains(catalogue, "Sokasi bundar")
        page = self.client.get(f"/d/tigawasa/katalog/{product.code}/")
        self.assertContains(page, "Pesan lewat WhatsApp")
        response = self.client.get(f"/d/tigawasa/katalog/{product.code}/pesan/")
        self.assertEqual(response.status_code, 302)
        target = urlsplit(response["Location"])
        self.assertEqual(target.netloc + target.path, "wa.me/6281999888777")
        text = parse_qs(target.query)["text"][0]
        self.assertIn("*Sokasi bundar* (Rp 25.000 per buah)", text)
        count = DailyCount.objects.get(product=product)
        self.assertEqual((count.views, count.order_clicks), (1, 1))

    def test_a_neighbour_who_is_not_a_seller_keeps_the_normal_assistant(self):
        neighbour = Resident.objects.create(
            village=self.other_village, name="Made", phone="+6281311112222"
        )
        self.WA_ID = neighbour.phone.lstrip("+")
        self.seen = 0
        replies = self.photo("sokasi bundar 25rb")
        self.assertFalse(Product.objects.exists())
        self.assertNotIn("Draf produk", self.texts(replies))
