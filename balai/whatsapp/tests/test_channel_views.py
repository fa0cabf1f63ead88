"""The village's WhatsApp channel page: settings, check, resume, templates, alerts."""

import datetime as dt
import json

import httpx
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from balai.lib.http import use_transport
from balai.test import ChannelTestCase
from balai.villages.models import AuditEvent
from balai.villages.roles import Role
from balai.whatsapp.models import ChannelAlert, OutboundMessage, Template, WhatsAppNumber

TOKEN = "EAAGm0PX4ZCpsBAsecret-token-value-1234567890"
NEW_TOKEN = "EAAGm0PX4ZCpsBAnother-token-value-0987654321"


def meta(handler_status=200, body=None, seen=None):
    """A transport answering every request like Meta's Graph API."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(handler_status, json=body)

    return httpx.MockTransport(handler)


PHONE_INFO = {
    "display_phone_number": "+1 555-078-3881",
    "verified_name": "Desa Pondok",
    "quality_rating": "GREEN",
    "id": "106540352242922",
}
TOKEN_EXPIRED = {
    "error": {
        "message": "(#190) Error validating access token: Session has expired.",
        "type": "OAuthException",
        "code": 190,
        "error_data": {"details": "Token kedaluwarsa"},
        "fbtrace_id": "AbCdEf",
    }
}


class ChannelViewTestCase(ChannelTestCase):
    def setUp(self):
        self.url = reverse("whatsapp:channel", args=[self.village.slug])
        self.check_url = reverse("whatsapp:check", args=[self.village.slug])
        self.resume_url = reverse("whatsapp:resume", args=[self.village.slug])

    def form_data(self, **overrides):
        data = {
            "action": "number",
            "phone_number_id": "106540352242922",
            "waba_id": "102290129340398",
            "display_number": "15550783881",
            "access_token": "",
            "api_base_url": "",
            "auth_header": "Authorization",
            "throughput_per_second": "80",
            "is_simulated": "on",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    def reload(self) -> WhatsAppNumber:
        return WhatsAppNumber.objects.get(pk=self.number.pk)


class RolesTest(ChannelViewTestCase):
    def test_roles_without_manage_village_get_403(self):
        for role in [Role.DPL, Role.PENDAMPING, Role.KASI_PELAYANAN]:
            self.login(self.staff[role])
            for url, method in [
                (self.url, "get"),
                (self.url, "post"),
                (self.check_url, "post"),
                (self.resume_url, "post"),
            ]:
                with self.subTest(role=role, url=url, method=method):
                    self.assertEqual(getattr(self.client, method)(url).status_code, 403)

    def test_managers_see_the_page(self):
        for user in [
            self.operator,
            self.staff[Role.SEKDES],
            self.staff[Role.KADES],
            self.platform,
        ]:
            self.login(user)
            with self.subTest(user=user.username):
                response = self.client.get(self.url)
                self.assertContains(response, "WhatsApp desa")
                self.assertContains(response, "106540352242922")

    def test_nav_link_only_for_managers(self):
        self.login(self.operator)
        self.assertContains(self.client.get(f"/desa/{self.village.slug}/"), self.url)
        self.login(self.staff[Role.DPL])
        self.assertNotContains(self.client.get(f"/desa/{self.village.slug}/"), self.url)

    def test_check_and_resume_are_post_only(self):
        self.login(self.operator)
        self.assertEqual(self.client.get(self.check_url).status_code, 405)
        self.assertEqual(self.client.get(self.resume_url).status_code, 405)

    def test_other_village_is_404_before_405(self):
        self.login(self.other_operator)
        for url in (self.url, self.check_url, self.resume_url):
            self.assertEqual(self.client.get(url).status_code, 404)


class PageTest(ChannelViewTestCase):
    def test_page_shows_webhook_simulator_and_templates(self):
        Template.objects.create(
            village=self.village,
            name="balai_kabar_baru",
            body="Halo {{1}}, ada kabar dari {{2}}.",
            parameters=["nama", "desa"],
            purpose="reengage",
        )
        self.login(self.operator)
        response = self.client.get(self.url)
        self.assertContains(response, settings.SITE_URL + "/whatsapp/webhook")
        self.assertContains(response, settings.WHATSAPP_VERIFY_TOKEN)
        self.assertContains(response, "simulator")
        self.assertContains(response, "balai_kabar_baru")
        self.assertContains(response, "Halo {{1}}, ada kabar dari {{2}}.")
        self.assertContains(response, "{{1}} = nama")
        self.assertContains(response, "belum pernah")  # never checked
        self.assertNotContains(response, "102290129340399")  # the other village's number

    def test_page_without_number(self):
        self.number.delete()
        self.login(self.operator)
        response = self.client.get(self.url)
        self.assertContains(response, "belum punya nomor WhatsApp")
        self.assertContains(response, "Tambah nomor WhatsApp")

    def test_counts_messages_needing_attention_in_last_week(self):
        def row(days_ago, attention=True, village=None):
            OutboundMessage.objects.create(
                village=village or self.village,
                number=self.number if village is None else self.other_number,
                to="6285799912345",
                kind="text",
                payload={},
                state="failed",
                needs_attention=attention,
                last_error_code=131026,
                last_error="(131026) Message undeliverable",
                created=timezone.now() - dt.timedelta(days=days_ago),
            )

        row(1)
        row(2)
        row(3, attention=False)
        row(8)
        row(1, village=self.other_village)
        self.login(self.operator)
        response = self.client.get(self.url)
        self.assertEqual(response.context["attention_count"], 2)
        self.assertContains(response, "131026")
        self.assertNotContains(response, "6285799912345")  # recipients are masked
        self.assertContains(response, "+6285••••••345")


class SettingsFormTest(ChannelViewTestCase):
    def test_save_stores_token_encrypted_and_never_shows_it(self):
        self.login(self.operator)
        response = self.client.post(
            self.url,
            self.form_data(
                access_token=TOKEN,
                is_simulated=None,
                api_base_url="https://waba-v2.360dialog.io/",
                auth_header="D360-API-KEY",
                throughput_per_second="200",
            ),
        )
        self.assertRedirects(response, self.url)
        number = self.reload()
        self.assertEqual(number.access_token, TOKEN)
        self.assertFalse(number.is_simulated)
        self.assertEqual(number.api_base_url, "https://waba-v2.360dialog.io")
        self.assertEqual(number.auth_header, "D360-API-KEY")
        self.assertEqual(number.throughput_per_second, 200)
        self.assertEqual(number.auth_value(), TOKEN)

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT access_token FROM whatsapp_whatsappnumber WHERE id = %s", [number.pk]
            )
            raw = cursor.fetchone()[0]
        self.assertTrue(raw)
        self.assertNotIn(TOKEN, raw)
        self.assertNotIn("secret-token", raw)

        page = self.client.get(self.url)
        self.assertNotContains(page, TOKEN)
        self.assertNotContains(page, "secret-token")
        self.assertContains(page, "tersimpan (tidak ditampilkan)")

        event = AuditEvent.objects.get(action="whatsapp.number.update")
        self.assertEqual(event.village, self.village)
        self.assertEqual(event.actor, self.operator)
        self.assertTrue(event.detail["token_replaced"])
        self.assertNotIn(TOKEN, json.dumps(event.detail))
        for event in AuditEvent.objects.all():
            self.assertNotIn(TOKEN, json.dumps(event.detail))

    def test_empty_token_keeps_the_stored_one(self):
        WhatsAppNumber.objects.filter(pk=self.number.pk).update(access_token="")
        self.number.access_token = TOKEN
        self.number.save()
        self.login(self.operator)
        response = self.client.post(
            self.url, self.form_data(access_token="", is_simulated=None, verified_name="x")
        )
        self.assertRedirects(response, self.url)
        number = self.reload()
        self.assertEqual(number.access_token, TOKEN)
        self.assertFalse(number.is_simulated)
        event = AuditEvent.objects.get(action="whatsapp.number.update")
        self.assertFalse(event.detail["token_replaced"])
        self.assertIn("is_simulated", event.detail["fields"])

        response = self.client.post(self.url, self.form_data(access_token=NEW_TOKEN))
        self.assertEqual(self.reload().access_token, NEW_TOKEN)

    def test_invalid_post_does_not_echo_the_token(self):
        self.login(self.operator)
        response = self.client.post(
            self.url, self.form_data(access_token=TOKEN, phone_number_id="10654abc")
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Phone number ID hanya berisi angka.")
        self.assertNotContains(response, TOKEN)
        self.assertFalse(self.reload().access_token)
        # The status part still shows the stored number, not the rejected input.
        self.assertContains(response, '<dd class="mono">106540352242922</dd>', html=True)

    def test_validation_errors(self):
        self.login(self.operator)
        cases = [
            ({"phone_number_id": "106540352242923"}, "sudah terdaftar untuk desa lain"),
            ({"api_base_url": "http://bsp.example.com/v1"}, "harus diawali https://"),
            ({"throughput_per_second": "0"}, "throughput_per_second"),
            ({"throughput_per_second": "1001"}, "throughput_per_second"),
            ({"is_simulated": None}, "Isi token akses dulu"),
            ({"auth_header": "Bad Header:"}, "Nama header"),
            ({"display_number": "08xx"}, "angka saja"),
        ]
        for overrides, expected in cases:
            with self.subTest(overrides=overrides):
                response = self.client.post(self.url, self.form_data(**overrides))
                self.assertEqual(response.status_code, 200)
                if expected == "throughput_per_second":
                    self.assertIn(expected, response.context["number_form"].errors)
                else:
                    self.assertContains(response, expected)
        number = self.reload()
        self.assertEqual(number.phone_number_id, "106540352242922")
        self.assertTrue(number.is_simulated)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="whatsapp.").exists())

    def test_local_http_base_url_is_allowed(self):
        self.login(self.operator)
        for url in ("http://127.0.0.1:9000/graph", "http://localhost:9000/graph"):
            response = self.client.post(self.url, self.form_data(api_base_url=url))
            self.assertRedirects(response, self.url)
            self.assertEqual(self.reload().api_base_url, url)

    def test_display_number_is_normalised_to_digits(self):
        self.login(self.operator)
        self.client.post(self.url, self.form_data(display_number="+62 812-3456-7890"))
        self.assertEqual(self.reload().display_number, "6281234567890")

    def test_first_save_creates_the_number(self):
        self.number.delete()
        self.login(self.operator)
        response = self.client.post(
            self.url, self.form_data(phone_number_id="123456789012345", display_number="")
        )
        self.assertRedirects(response, self.url)
        number = WhatsAppNumber.objects.get(village=self.village)
        self.assertEqual(number.phone_number_id, "123456789012345")
        self.assertTrue(number.is_simulated)
        self.assertTrue(AuditEvent.objects.filter(action="whatsapp.number.create").exists())

    def test_platform_operator_can_save(self):
        self.login(self.platform)
        response = self.client.post(self.url, self.form_data(throughput_per_second="100"))
        self.assertRedirects(response, self.url)
        self.assertEqual(self.reload().throughput_per_second, 100)


class CheckTest(ChannelViewTestCase):
    def test_check_success_stores_what_meta_says(self):
        WhatsAppNumber.objects.filter(pk=self.number.pk).update(display_number="")
        self.login(self.operator)
        seen = []
        with use_transport(meta(200, PHONE_INFO, seen)):
            response = self.client.post(self.check_url, follow=True)
        self.assertContains(response, "Nomor terhubung: 15550783881 (Desa Pondok)")
        number = self.reload()
        self.assertEqual(number.display_number, "15550783881")
        self.assertEqual(number.verified_name, "Desa Pondok")
        self.assertIsNotNone(number.checked_at)
        (request,) = seen
        self.assertEqual(request.method, "GET")
        self.assertTrue(request.url.path.endswith("/106540352242922"))
        self.assertIn("verified_name", request.url.params["fields"])

    def test_check_real_number_sends_token_to_its_base_url(self):
        self.number.is_simulated = False
        self.number.access_token = TOKEN
        self.number.api_base_url = "https://bsp.example.com/v1"
        self.number.auth_header = "D360-API-KEY"
        self.number.save()
        self.login(self.operator)
        seen = []
        with use_transport(meta(200, PHONE_INFO, seen)):
            response = self.client.post(self.check_url, follow=True)
        self.assertContains(response, "Nomor terhubung")
        self.assertNotContains(response, TOKEN)
        (request,) = seen
        self.assertEqual(
            str(request.url).split("?")[0], "https://bsp.example.com/v1/106540352242922"
        )
        self.assertEqual(request.headers["D360-API-KEY"], TOKEN)
        for event in AuditEvent.objects.all():
            self.assertNotIn(TOKEN, json.dumps(event.detail))

    def test_check_failure_changes_nothing(self):
        self.login(self.operator)
        before = self.reload()
        with use_transport(meta(401, TOKEN_EXPIRED)):
            response = self.client.post(self.check_url, follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Pemeriksaan gagal")
        self.assertContains(response, "kode 190")
        self.assertContains(response, "Error validating access token")
        self.assertContains(response, "kedaluwarsa")
        after = self.reload()
        self.assertEqual(after.display_number, before.display_number)
        self.assertEqual(after.verified_name, before.verified_name)
        self.assertIsNone(after.checked_at)
        self.assertFalse(after.is_paused)

    def test_check_connection_error_is_a_message(self):
        def refuse(request):
            raise httpx.ConnectError("connection refused", request=request)

        self.login(self.operator)
        with use_transport(httpx.MockTransport(refuse)):
            response = self.client.post(self.check_url, follow=True)
        self.assertContains(response, "Pemeriksaan gagal: server WhatsApp tidak bisa dihubungi")
        self.assertIsNone(self.reload().checked_at)

    def test_check_non_json_error(self):
        self.login(self.operator)
        transport = httpx.MockTransport(lambda r: httpx.Response(502, text="<html>Bad gateway"))
        with use_transport(transport):
            response = self.client.post(self.check_url, follow=True)
        self.assertContains(response, "Pemeriksaan gagal: server menjawab HTTP 502.")
        self.assertNotContains(response, "Bad gateway")
        self.assertIsNone(self.reload().checked_at)

    def test_check_against_the_simulator_in_process(self):
        """The real HTTP path, if the simulator's fake Graph API is there to answer it."""
        from django.urls import Resolver404, resolve

        from balai.test import in_process_app

        try:
            resolve(f"/simulator/graph/v25.0/{self.number.phone_number_id}")
        except Resolver404:
            self.skipTest("balai.simulator has no fake Graph API yet")
        self.login(self.operator)
        with use_transport(httpx.WSGITransport(app=in_process_app)):
            response = self.client.post(self.check_url, follow=True)
        self.assertContains(response, "Nomor terhubung: 15550783881")
        number = self.reload()
        self.assertIsNotNone(number.checked_at)
        self.assertTrue(number.verified_name)

    def test_check_without_number(self):
        self.number.delete()
        self.login(self.operator)
        response = self.client.post(self.check_url, follow=True)
        self.assertContains(response, "belum punya nomor WhatsApp")


class ResumeTest(ChannelViewTestCase):
    def pause(self):
        from balai.whatsapp.client import CloudAPIError
        from balai.whatsapp.outbox import do_pause_number

        do_pause_number(self.number, CloudAPIError(190, "Error validating access token"))
        ChannelAlert.objects.create(village=self.village, code=131047, message="Perlu template")

    def test_paused_number_shows_reason_and_resume_clears_it(self):
        self.pause()
        self.login(self.operator)
        page = self.client.get(self.url)
        self.assertContains(page, "dihentikan sementara")
        self.assertContains(page, "Error validating access token")
        self.assertContains(page, "Aktifkan lagi")

        response = self.client.post(self.resume_url, follow=True)
        self.assertContains(response, "aktif lagi")
        number = self.reload()
        self.assertFalse(number.is_paused)
        self.assertEqual(number.paused_reason, "")
        pause_alert = ChannelAlert.objects.get(code=190)
        self.assertIsNotNone(pause_alert.resolved_at)
        # Alerts about other things stay open.
        self.assertIsNone(ChannelAlert.objects.get(code=131047).resolved_at)
        self.assertTrue(AuditEvent.objects.filter(action="whatsapp.number.resume").exists())

    def test_resume_when_active_or_missing(self):
        self.login(self.operator)
        response = self.client.post(self.resume_url, follow=True)
        self.assertContains(response, "sudah aktif")
        self.number.delete()
        response = self.client.post(self.resume_url, follow=True)
        self.assertContains(response, "belum punya nomor WhatsApp")

    def test_resolve_other_alert_but_not_pause_alert_while_paused(self):
        self.pause()
        self.login(self.operator)
        pause_alert = ChannelAlert.objects.get(code=190)
        other = ChannelAlert.objects.get(code=131047)
        self.client.post(self.url, {"action": "resolve_alert", "alert": pause_alert.pk})
        self.assertIsNone(ChannelAlert.objects.get(pk=pause_alert.pk).resolved_at)
        self.client.post(self.url, {"action": "resolve_alert", "alert": other.pk})
        self.assertIsNotNone(ChannelAlert.objects.get(pk=other.pk).resolved_at)

    def test_bad_alert_id_is_404(self):
        self.login(self.operator)
        response = self.client.post(self.url, {"action": "resolve_alert", "alert": "x"})
        self.assertEqual(response.status_code, 404)

    def test_unknown_action_is_a_message(self):
        self.login(self.operator)
        response = self.client.post(self.url, {"action": "nope"}, follow=True)
        self.assertContains(response, "Permintaan tidak dikenal")

    def test_cannot_resolve_other_villages_alert(self):
        alert = ChannelAlert.objects.create(village=self.other_village, message="x")
        self.login(self.operator)
        response = self.client.post(self.url, {"action": "resolve_alert", "alert": alert.pk})
        self.assertEqual(response.status_code, 404)
        self.assertIsNone(ChannelAlert.objects.get(pk=alert.pk).resolved_at)


class TemplateFormTest(ChannelViewTestCase):
    def post_template(self, **overrides):
        data = {
            "action": "template",
            "name": "surat_siap",
            "language": "id",
            "category": "utility",
            "purpose": "letter_ready",
            "body": "Halo {{1}}, surat Anda dari {{2}} sudah siap diambil.",
            "parameter_names": "nama, desa",
        }
        data.update(overrides)
        return self.client.post(self.url, data)

    def test_add_template(self):
        self.login(self.operator)
        response = self.post_template()
        self.assertRedirects(response, self.url)
        template = Template.objects.get(village=self.village, name="surat_siap")
        self.assertEqual(template.parameters, ["nama", "desa"])
        self.assertEqual(template.status, Template.Status.DRAFT)
        self.assertEqual(template.language, "id")
        self.assertTrue(AuditEvent.objects.filter(action="whatsapp.template.create").exists())

    def test_placeholder_count_must_match_parameters(self):
        self.login(self.operator)
        response = self.post_template(parameter_names="nama")
        self.assertContains(response, "punya 2 penanda")
        response = self.post_template(body="Halo {{1}} dan {{3}}", parameter_names="a, b")
        self.assertContains(response, "berurutan")
        response = self.post_template(body="Tanpa penanda", parameter_names="nama")
        self.assertContains(response, "punya 0 penanda")
        response = self.post_template(parameter_names="nama,,desa")
        self.assertContains(response, "kosong")
        self.assertFalse(Template.objects.filter(name="surat_siap").exists())

    def test_name_language_and_duplicates(self):
        self.login(self.operator)
        self.assertContains(self.post_template(name="Surat Siap"), "huruf kecil")
        self.assertContains(self.post_template(language="indonesia"), "Kode bahasa")
        self.assertRedirects(self.post_template(), self.url)
        self.assertContains(self.post_template(), "sudah ada")
        # The same name in another language is a different template.
        self.assertRedirects(self.post_template(language="en_US"), self.url)
        # Another village may use the same name.
        Template.objects.create(village=self.other_village, name="lain", body="x")
        self.assertRedirects(
            self.post_template(name="lain", body="x", parameter_names=""), self.url
        )

    def test_change_status(self):
        template = Template.objects.create(village=self.village, name="t", body="x")
        self.login(self.operator)
        response = self.client.post(
            self.url, {"action": "template_status", "template": template.code, "status": "approved"}
        )
        self.assertRedirects(response, self.url)
        template.refresh_from_db()
        self.assertEqual(template.status, Template.Status.APPROVED)

        other = Template.objects.create(village=self.other_village, name="t", body="x")
        response = self.client.post(
            self.url, {"action": "template_status", "template": other.code, "status": "approved"}
        )
        self.assertEqual(response.status_code, 404)


class DashboardAlertsTest(ChannelViewTestCase):
    def test_dashboard_shows_open_alerts(self):
        ChannelAlert.objects.create(
            village=self.village,
            code=131047,
            message="Pesan ke 6285799912345 tidak terkirim: lewat 24 jam.",
        )
        ChannelAlert.objects.create(
            village=self.village, message="Sudah beres", resolved_at=timezone.now()
        )
        ChannelAlert.objects.create(village=self.other_village, message="Desa lain bermasalah")
        dashboard = f"/desa/{self.village.slug}/"

        self.login(self.operator)
        response = self.client.get(dashboard)
        self.assertContains(response, "WhatsApp perlu perhatian")
        self.assertContains(response, "Pesan ke 6285799912345 tidak terkirim")
        self.assertContains(response, self.url)
        self.assertNotContains(response, "Sudah beres")
        self.assertNotContains(response, "Desa lain bermasalah")

        # Supervisors see the alert, without the resident's number or the link.
        self.login(self.staff[Role.DPL])
        response = self.client.get(dashboard)
        self.assertContains(response, "tidak terkirim")
        self.assertNotContains(response, "6285799912345")
        self.assertNotContains(response, self.url)

    def test_no_alerts_no_block(self):
        self.login(self.operator)
        self.assertNotContains(self.client.get(f"/desa/{self.village.slug}/"), "perlu perhatian")


class AdminTest(ChannelViewTestCase):
    def test_admin_pages_render_without_the_token(self):
        self.number.access_token = TOKEN
        self.number.save()
        ChannelAlert.objects.create(village=self.village, code=190, message="Token kedaluwarsa")
        from balai.whatsapp.models import WebhookProblem

        WebhookProblem.objects.create(
            kind=WebhookProblem.Kind.UNKNOWN_NUMBER,
            phone_number_id="999000111",
            detail="phone_number_id tidak dikenal",
            payload={},
        )
        self.login(self.platform)
        for model in [
            "whatsappnumber",
            "inboundmessage",
            "outboundmessage",
            "template",
            "channelalert",
            "statusevent",
            "webhookproblem",
        ]:
            with self.subTest(model=model):
                response = self.client.get(reverse(f"admin:whatsapp_{model}_changelist"))
                self.assertEqual(response.status_code, 200)
                self.assertNotContains(response, TOKEN)
        response = self.client.get(reverse("admin:whatsapp_webhookproblem_changelist"))
        self.assertContains(response, "999000111")
        change = self.client.get(
            reverse("admin:whatsapp_whatsappnumber_change", args=[self.number.pk])
        )
        self.assertEqual(change.status_code, 200)
        self.assertNotContains(change, TOKEN)
        self.assertNotContains(change, 'name="access_token"')

    def test_admin_edit_keeps_the_token(self):
        self.number.access_token = TOKEN
        self.number.save()
        self.login(self.platform)
        url = reverse("admin:whatsapp_whatsappnumber_change", args=[self.number.pk])
        data = {
            "village": self.village.pk,
            "phone_number_id": "106540352242922",
            "waba_id": "102290129340398",
            "display_number": "15550783881",
            "verified_name": "Desa Pondok",
            "api_base_url": "",
            "auth_header": "Authorization",
            "is_simulated": "on",
            "throughput_per_second": "90",
            "paused_reason": "",
        }
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        number = self.reload()
        self.assertEqual(number.throughput_per_second, 90)
        self.assertEqual(number.access_token, TOKEN)
        # A number without a token can be saved too (an empty column reads back as None).
        self.other_number.refresh_from_db()
        self.assertFalse(self.other_number.access_token)
        url = reverse("admin:whatsapp_whatsappnumber_change", args=[self.other_number.pk])
        data.update(village=self.other_village.pk, phone_number_id="106540352242923")
        self.assertEqual(self.client.post(url, data).status_code, 302)
