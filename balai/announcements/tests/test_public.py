"""The village's news on its public pages."""

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from balai.announcements.tests.helpers import announcement
from balai.announcements.views_public import latest_posts
from balai.test import ChannelTestCase

BUDGET = 50 * 1024


class PublicNewsTest(ChannelTestCase):
    def setUp(self):
        self.post = announcement(
            self.village,
            "kesehatan",
            title="Posyandu balita Sabtu",
            body="Posyandu di balai dusun pukul 08.00.\nBawa buku KIA. Info: https://contoh.id/jadwal",
            published_at=timezone.now(),
        )
        self.draft = announcement(self.village, title="Draf rahasia")

    def test_list_and_post(self):
        response = self.client.get("/d/pondok/kabar/")
        self.assertContains(response, "Posyandu balita Sabtu")
        self.assertNotContains(response, "Draf rahasia")
        self.assertContains(response, "https://wa.me/15550783881?text=LANGGANAN")
        response = self.client.get(f"/d/pondok/kabar/{self.post.code}/")
        html = response.content.decode()
        self.assertIn("<h1>Posyandu balita Sabtu</h1>", html)
        self.assertIn('<a href="https://contoh.id/jadwal" rel="nofollow">', html)
        self.assertIn(f"/d/pondok/kabar/{self.post.code}/kartu.png", html)  # og:image
        self.assertIn("?text=LANGGANAN%20KESEHATAN", html)
        self.assertNotIn("<script", html)
        self.assertLess(len(response.content), BUDGET)

    def test_unpublished_hidden_and_other_villages_posts_are_404(self):
        self.assertEqual(self.client.get(f"/d/pondok/kabar/{self.draft.code}/").status_code, 404)
        self.assertEqual(self.client.get(f"/d/tigawasa/kabar/{self.post.code}/").status_code, 404)
        self.post.hidden = True
        self.post.save()
        for path in ("", "kartu.png", "gambar.jpg", "lampiran.pdf"):
            with self.subTest(path=path):
                response = self.client.get(f"/d/pondok/kabar/{self.post.code}/{path}")
                self.assertEqual(response.status_code, 404)

    def test_picture_pdf_and_social_card(self):
        out = io.BytesIO()
        Image.new("RGB", (800, 600), (10, 120, 80)).save(out, "JPEG")
        self.post.image.save("gambar.jpg", ContentFile(out.getvalue()), save=False)
        self.post.attachment.save("lampiran.pdf", ContentFile(b"%PDF-1.4 jadwal"), save=False)
        self.post.attachment_name = "jadwal-posyandu.pdf"
        self.post.save()
        base = f"/d/pondok/kabar/{self.post.code}/"
        image = self.client.get(base + "gambar.jpg")
        self.assertEqual(image["Content-Type"], "image/jpeg")
        pdf = self.client.get(base + "lampiran.pdf")
        self.assertEqual(b"".join(pdf), b"%PDF-1.4 jadwal")
        self.assertIn("jadwal-posyandu.pdf", pdf["Content-Disposition"])
        card = self.client.get(base + "kartu.png")
        with Image.open(io.BytesIO(card.content)) as png:
            self.assertEqual((png.format, png.size), ("PNG", (1080, 1080)))
            # The band at the top is the village's green; the picture is below it.
            self.assertEqual(png.convert("RGB").getpixel((10, 10)), (11, 110, 79))
            pixel = png.convert("RGB").getpixel((540, 400))
            self.assertTrue(all(abs(a - b) <= 3 for a, b in zip(pixel, (10, 120, 80), strict=True)))

    def test_latest_posts_for_the_home_page(self):
        older = announcement(
            self.village, title="Lama", published_at=timezone.now() - dt.timedelta(days=3)
        )
        announcement(self.other_village, title="Desa lain", published_at=timezone.now())
        self.assertEqual(latest_posts(self.village, 3), [self.post, older])
        self.assertEqual(latest_posts(self.village, 1), [self.post])
