"""Publishing to a Facebook Page and an Instagram account against the fake Graph API
(``balai.simulator.graph``), in process through the HTTP seam: Balai's real client and job,
Meta's shapes and errors, retries, the 50-a-day limit, and the console around it."""

import datetime as dt
import io
from unittest import mock

from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from balai.core.models import TaskFailure
from balai.market import content, publishing
from balai.market.models import Post, Publication, SocialAccount
from balai.market.tests.test_content import make_product
from balai.simulator import graph
from balai.simulator.tests.base import SimulatorTestCase
from balai.villages.roles import Role

PAGE_ID = "102345678901234"
IG_ID = "17841405822304914"
TOKEN = "EAAB" + "k" * 60


class PublishingTestCase(SimulatorTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.product = make_product(cls.village, cls.resident)
        cls.square, cls.portrait = content.do_generate_posts(cls.product, "bersih")

    def setUp(self):
        super().setUp()
        graph.reset()
        self.facebook = publishing.do_connect(
            self.village, kind="facebook", account_id=PAGE_ID, token=TOKEN, simulated=True
        )
        self.instagram = publishing.do_connect(
            self.village, kind="instagram", account_id=IG_ID, token=TOKEN, simulated=True
        )
        graph.clear_log()

    def publish(self, post, account) -> Publication:
        with self.captureOnCommitCallbacks(execute=True):
            publication = publishing.do_publish(post, account)
        publication.refresh_from_db()
        return publication

    def calls(self) -> list[tuple[str, str, int]]:
        return [(c["method"], c["path"], c["status"]) for c in graph.state()["log"]]


class ConnectTest(PublishingTestCase):
    def test_connect_checks_the_token_and_keeps_it_encrypted(self):
        self.assertEqual(self.facebook.name, "Halaman Uji 1234")
        self.assertEqual(self.instagram.name, "akun_uji_4914")
        self.assertTrue(self.facebook.api_base_url.endswith("/simulator/meta/v25.0/"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT access_token FROM market_socialaccount")
            stored = [row[0] for row in cursor.fetchall()]
        self.assertEqual(len(stored), 2)
        for raw in stored:
            self.assertNotIn(TOKEN, raw)
        self.assertEqual(SocialAccount.objects.get(pk=self.facebook.pk).access_token, TOKEN)
        self.assertEqual(publishing.masked_token(TOKEN), "••••••••kkkk")

    def test_an_expired_token_is_refused_when_connecting(self):
        with self.assertRaises(publishing.GraphError) as caught:
            publishing.do_connect(
                self.village,
                kind="facebook",
                account_id="1999",
                token="EXPIRED" + "x" * 30,
                simulated=True,
            )
        self.assertEqual(caught.exception.code, 190)
        self.assertIn("kedaluwarsa", publishing.plain_error(caught.exception))

    def test_reconnecting_replaces_the_token_and_keeps_history(self):
        self.publish(self.square, self.facebook)
        publishing.do_disconnect(self.facebook)
        self.assertEqual(SocialAccount.objects.get(pk=self.facebook.pk).access_token, "")
        with self.assertRaises(publishing.PublishRefused):
            publishing.do_publish(self.square, self.facebook)
        again = publishing.do_connect(
            self.village, kind="facebook", account_id=PAGE_ID, token=TOKEN + "2", simulated=True
        )
        self.assertEqual(again.pk, self.facebook.pk)
        self.assertEqual(again.publications.count(), 1)

    def test_console_connect_and_disconnect(self):
        self.login(self.staff[Role.PENDAMPING])
        url = reverse("market:content_connect", args=[self.village.slug])
        self.assertContains(self.client.get(url), "Token akses")
        bad = self.client.post(
            url,
            {
                "kind": "instagram",
                "account_id": "17841400000009",
                "access_token": "EXPIRED" + "y" * 20,
                "simulated": "on",
            },
        )
        self.assertContains(bad, "kedaluwarsa")
        self.assertContains(bad, "kode 190")
        response = self.client.post(
            url,
            {
                "kind": "instagram",
                "account_id": "17841400000001",
                "access_token": TOKEN,
                "owner": self.product.seller.code,
                "simulated": "on",
            },
            follow=True,
        )
        self.assertContains(response, "tersambung")
        account = SocialAccount.objects.get(account_id="17841400000001")
        self.assertEqual(account.seller, self.product.seller)
        self.assertNotContains(response, TOKEN)
        self.assertContains(response, "••••••••kkkk")
        response = self.client.post(
            reverse("market:content_disconnect", args=[self.village.slug, account.code]),
            follow=True,
        )
        self.assertContains(response, "diputuskan")
        self.assertContains(response, "Terputus")


class FacebookTest(PublishingTestCase):
    def test_photo_post_on_the_page(self):
        publication = self.publish(self.square, self.facebook)
        self.assertEqual(publication.state, Publication.State.PUBLISHED)
        self.assertEqual(publication.attempts, 1)
        self.assertIsNotNone(publication.published_at)
        (photo,) = graph.state()["photos"]
        self.assertEqual(photo["page"], PAGE_ID)
        self.assertEqual(publication.remote_id, photo["post_id"])
        self.assertTrue(photo["post_id"].startswith(PAGE_ID + "_"))
        self.assertEqual(photo["caption"], self.square.caption)
        self.assertIn("/umkm/gambar/", photo["url"])
        self.assertEqual(photo["bytes"], self.square.image.size)
        self.assertEqual(self.calls(), [("POST", f"v25.0/{PAGE_ID}/photos", 200)])

    def test_expired_token_is_shown_plainly_and_not_retried(self):
        graph.set_fault(PAGE_ID, "token_expired")
        publication = self.publish(self.square, self.facebook)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertEqual(publication.attempts, 1)
        self.assertIn("sudah kedaluwarsa atau dicabut", publication.error)
        self.assertIn("kode 190/463", publication.error)
        self.login(self.staff[Role.DPL])
        page = self.client.get(
            reverse("market:content_product", args=[self.village.slug, self.product.code])
        )
        self.assertContains(page, "Sambungkan ulang akun dengan token yang baru")
        accounts = self.client.get(reverse("market:content_accounts", args=[self.village.slug]))
        self.assertContains(accounts, "Gagal terakhir")

    def test_permission_error_says_which_permission(self):
        graph.set_fault(PAGE_ID, "permission")
        publication = self.publish(self.square, self.facebook)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertIn("pages_manage_posts", publication.error)
        self.assertIn("kode 200", publication.error)

    def test_server_errors_are_retried_with_the_jobs_backoff(self):
        graph.set_fault(PAGE_ID, "server_error", count=2)
        publication = self.publish(self.square, self.facebook)
        self.assertEqual(publication.state, Publication.State.PUBLISHED)
        self.assertEqual(publication.attempts, 3)
        self.assertEqual(publication.error, "")
        self.assertEqual([c[2] for c in self.calls()], [500, 500, 200])
        self.assertEqual(len(graph.state()["photos"]), 1)  # posted once

    def test_rate_limit_is_retried(self):
        graph.set_fault(PAGE_ID, "rate_limit")
        publication = self.publish(self.square, self.facebook)
        self.assertEqual(publication.state, Publication.State.PUBLISHED)
        self.assertEqual(publication.attempts, 2)

    def test_a_server_that_stays_down_fails_after_the_last_attempt(self):
        graph.set_fault(PAGE_ID, "server_error", count=-1)
        publication = self.publish(self.square, self.facebook)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertEqual(publication.attempts, publishing.PUBLISH_ATTEMPTS)
        self.assertIn("Server Meta sedang bermasalah", publication.error)
        self.assertIn(f"Sudah dicoba {publishing.PUBLISH_ATTEMPTS} kali", publication.error)
        self.assertEqual(len(self.calls()), publishing.PUBLISH_ATTEMPTS)
        self.assertFalse(TaskFailure.objects.exists())  # a known outcome, not a crash

    def test_an_image_meta_cannot_fetch_fails_plainly(self):
        post = Post.objects.create(
            product=self.product, style="bersih", format="square", caption="x", image="hilang.jpg"
        )
        publication = self.publish(post, self.facebook)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertIn("tidak bisa mengambil gambar", publication.error)
        self.assertIn("kode 324", publication.error)


class InstagramTest(PublishingTestCase):
    def test_container_status_then_publish(self):
        publication = self.publish(self.portrait, self.instagram)
        self.assertEqual(publication.state, Publication.State.PUBLISHED, publication.error)
        # The first status read said IN_PROGRESS: the job came back once.
        self.assertEqual(publication.attempts, 2)
        self.assertTrue(publication.container_id)
        (media,) = graph.state()["media"]
        self.assertEqual(publication.remote_id, media["id"])
        self.assertEqual(media["container"], publication.container_id)
        self.assertEqual(media["caption"], self.portrait.caption)
        c = publication.container_id
        self.assertEqual(
            self.calls(),
            [
                ("POST", f"v25.0/{IG_ID}/media", 200),
                ("GET", f"v25.0/{c}", 200),
                ("GET", f"v25.0/{c}", 200),
                ("GET", f"v25.0/{IG_ID}/content_publishing_limit", 200),
                ("POST", f"v25.0/{IG_ID}/media_publish", 200),
            ],
        )
        self.assertEqual(graph.state()["containers"][c]["status_code"], "PUBLISHED")

    def test_fifty_a_day_counted_by_balai_is_refused_politely(self):
        now = timezone.now()
        Publication.objects.bulk_create(
            Publication(
                post=self.square,
                account=self.instagram,
                state=Publication.State.PUBLISHED,
                published_at=now - dt.timedelta(hours=23),
            )
            for _ in range(publishing.IG_DAILY_LIMIT)
        )
        with self.assertRaises(publishing.PublishRefused) as caught:
            publishing.do_publish(self.portrait, self.instagram)
        self.assertIn("50 unggahan", str(caught.exception))
        self.assertIn("Coba lagi besok", str(caught.exception))
        self.assertEqual(self.calls(), [])  # nothing asked of Meta
        # Yesterday's do not count; and the Facebook Page has no such limit.
        Publication.objects.filter(account=self.instagram).update(
            published_at=now - dt.timedelta(hours=25)
        )
        self.assertEqual(self.publish(self.portrait, self.instagram).state, "published")
        self.assertEqual(self.publish(self.square, self.facebook).state, "published")

    def test_console_says_no_when_the_limit_is_reached(self):
        Publication.objects.bulk_create(
            Publication(post=self.square, account=self.instagram, state=Publication.State.QUEUED)
            for _ in range(publishing.IG_DAILY_LIMIT)
        )
        self.login(self.staff[Role.OPERATOR])
        response = self.client.post(
            reverse("market:content_publish", args=[self.village.slug, self.portrait.code]),
            {"akun": self.instagram.code},
            follow=True,
        )
        self.assertContains(response, "sudah memakai semuanya")
        self.assertEqual(Publication.objects.filter(post=self.portrait).count(), 0)

    def test_quota_used_by_other_apps_is_checked_before_publishing(self):
        graph.set_quota_used(IG_ID, 50)
        publication = self.publish(self.portrait, self.instagram)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertIn("batas 50 unggahan", publication.error)
        self.assertNotIn("media_publish", " ".join(c[1] for c in self.calls()))
        self.assertEqual(graph.state()["media"], [])

    def test_the_fake_refuses_the_fifty_first_post_itself(self):
        graph.set_quota_used(IG_ID, 49)
        self.assertEqual(self.publish(self.portrait, self.instagram).state, "published")
        limit = publishing.instagram_quota(self.instagram)
        self.assertEqual(limit, (50, 50))
        # Straight to media_publish (skipping Balai's checks): Meta's own refusal, code 9.
        container = publishing.account_call(
            self.instagram,
            "POST",
            f"{IG_ID}/media",
            data={"image_url": content.image_url(self.square), "caption": "x"},
        )["id"]
        for _ in range(2):
            publishing.account_call(
                self.instagram, "GET", container, params={"fields": "status_code"}
            )
        with self.assertRaises(publishing.GraphError) as caught:
            publishing.account_call(
                self.instagram, "POST", f"{IG_ID}/media_publish", data={"creation_id": container}
            )
        self.assertEqual((caught.exception.code, caught.exception.subcode), (9, 2207042))
        self.assertFalse(caught.exception.retryable)
        self.assertIn("Coba lagi besok", publishing.plain_error(caught.exception))

    def test_an_image_instagram_refuses_ends_the_container_in_error(self):
        tall = io.BytesIO()
        Image.new("RGB", (1080, 1920), "white").save(tall, "JPEG")
        post = Post(product=self.product, style="bersih", format="portrait", caption="x")
        post.image.save("tinggi.jpg", ContentFile(tall.getvalue()), save=False)
        post.save()
        publication = self.publish(post, self.instagram)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertIn("Perbandingan lebar dan tinggi", publication.error)
        self.assertIn("status ERROR", publication.error)

    def test_image_error_fault(self):
        graph.set_fault(IG_ID, "image_error")
        publication = self.publish(self.square, self.instagram)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertIn("Format gambar tidak didukung", publication.error)

    def test_a_container_that_never_finishes_fails_after_the_last_attempt(self):
        with mock.patch.object(graph, "READS_BEFORE_FINISHED", 1000):
            publication = self.publish(self.square, self.instagram)
        self.assertEqual(publication.state, Publication.State.FAILED)
        self.assertEqual(publication.attempts, publishing.PUBLISH_ATTEMPTS)
        self.assertIn("belum selesai memproses", publication.error)
        self.assertEqual(graph.state()["media"], [])
        self.assertFalse(TaskFailure.objects.exists())

    def test_temporary_error_while_waiting_for_the_container(self):
        publication = self.publish(self.square, self.instagram)
        self.assertEqual(publication.state, "published")
        graph.reset()
        graph.set_fault(IG_ID, "server_error", count=1)
        # The fault hits the container creation; the retry goes through.
        second = self.publish(self.portrait, self.instagram)
        self.assertEqual(second.state, "published")
        self.assertEqual(second.attempts, 3)  # 500, then IN_PROGRESS, then FINISHED


class FakeGraphTest(PublishingTestCase):
    """The fake answers the way Meta documents."""

    def api(self, method, path, token=TOKEN, **params):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        url = f"/simulator/meta/v25.0/{path}"
        if method == "get":
            return self.client.get(url, params, **headers)
        return self.client.post(url, params, **headers)

    def test_errors_have_metas_shape(self):
        response = self.api("post", f"{PAGE_ID}/photos", token="", url="http://x")
        self.assertEqual(response.status_code, 400)
        error = response.json()["error"]
        self.assertEqual(error["type"], "OAuthException")
        self.assertIn("fbtrace_id", error)
        self.assertEqual(self.api("get", "not-an-id").json()["error"]["code"], 100)
        publish_early = self.api("post", f"{IG_ID}/media_publish", creation_id="123")
        self.assertEqual(publish_early.json()["error"]["code"], 24)

    def test_a_registered_account_accepts_only_its_token(self):
        graph.register("555000111", kind="facebook", token="EAAB-the-right-one", name="Sokasi")
        self.assertEqual(
            self.api("get", "555000111", token="EAAB-the-right-one").json()["name"], "Sokasi"
        )
        wrong = self.api("get", "555000111", token=TOKEN)
        self.assertEqual(wrong.json()["error"]["code"], 190)

    def test_container_is_not_publishable_before_finished(self):
        created = self.api(
            "post", f"{IG_ID}/media", image_url=content.image_url(self.square), caption="a"
        )
        container = created.json()["id"]
        early = self.api("post", f"{IG_ID}/media_publish", creation_id=container)
        self.assertEqual(early.json()["error"]["error_subcode"], 2207027)
        status = self.api("get", container, fields="status_code")
        self.assertEqual(status.json(), {"id": container, "status_code": "IN_PROGRESS"})
        status = self.api("get", container, fields="status_code")
        self.assertEqual(status.json(), {"id": container, "status_code": "FINISHED"})
        self.assertIn(
            "id", self.api("post", f"{IG_ID}/media_publish", creation_id=container).json()
        )
        limit = self.api("get", f"{IG_ID}/content_publishing_limit", fields="quota_usage,config")
        self.assertEqual(
            limit.json(),
            {"data": [{"quota_usage": 1, "config": {"quota_total": 50, "quota_duration": 86400}}]},
        )

    def test_control_api(self):
        response = self.client.post(
            "/simulator/meta/api/faults",
            {"account": PAGE_ID, "kind": "rate_limit"},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.api("get", PAGE_ID).json()["error"]["code"], 4)
        self.assertEqual(self.api("get", PAGE_ID).status_code, 200)
        bad = self.client.post(
            "/simulator/meta/api/faults", {"kind": "nonsense"}, content_type="application/json"
        )
        self.assertEqual(bad.status_code, 400)
        self.assertIn("log", self.client.get("/simulator/meta/api/state").json())


class ConsolePublishTest(PublishingTestCase):
    def test_facilitator_publishes_and_sees_the_history(self):
        self.login(self.staff[Role.PENDAMPING])
        url = reverse("market:content_publish", args=[self.village.slug, self.square.code])
        page = reverse("market:content_product", args=[self.village.slug, self.product.code])
        self.assertContains(self.client.get(page), "Halaman Facebook: Halaman Uji 1234")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url, {"akun": self.facebook.code})
        self.assertRedirects(response, page)
        history = self.client.get(reverse("market:content_history", args=[self.village.slug]))
        self.assertContains(history, "Terbit")
        self.assertContains(history, self.product.name)
        missing = self.client.post(url, {"akun": "NOPE"}, follow=True)
        self.assertContains(missing, "Pilih akun Facebook atau Instagram")

    def test_dpl_cannot_publish_and_other_villages_accounts_are_not_offered(self):
        self.login(self.staff[Role.DPL])
        url = reverse("market:content_publish", args=[self.village.slug, self.square.code])
        self.assertEqual(self.client.post(url, {"akun": self.facebook.code}).status_code, 403)
        other = SocialAccount.objects.create(
            village=self.other_village, kind="facebook", account_id="9", access_token=TOKEN
        )
        self.login(self.staff[Role.OPERATOR])
        response = self.client.post(url, {"akun": other.code}, follow=True)
        self.assertContains(response, "Pilih akun Facebook atau Instagram")
        self.assertFalse(Publication.objects.exists())
        with self.assertRaises(publishing.PublishRefused):
            publishing.do_publish(self.square, other)
