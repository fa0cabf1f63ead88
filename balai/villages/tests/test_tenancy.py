"""Every staff URL refuses the other village: a 404, never its data.

The test enumerates the URLconf, so a new staff page that is not listed in OBJECT_KWARGS
fails here until someone decides which object its URL carries.
"""

from django.urls import URLPattern, URLResolver, get_resolver

from balai.test import BaseTestCase
from balai.villages.roles import Role


def staff_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from staff_patterns(entry, ns)
        elif isinstance(entry, URLPattern) and "village_slug" in entry.pattern.regex.groupindex:
            yield f"{prefix}{entry.name}", set(entry.pattern.regex.groupindex) - {"village_slug"}


def request_of(village):
    from balai.letters.actions import do_submit_request
    from balai.letters.models import LetterRequest

    existing = LetterRequest.objects.filter(village=village).first()
    if existing:
        return existing
    resident = village.residents.first()
    return do_submit_request(
        letter_type=village.letter_types.get(slug="domisili"),
        resident=resident,
        contact=resident,
        identity="matched",
        answers={},
        attachments=[],
    )


def complaint_of(village):
    from balai.complaints.actions import do_submit_complaint
    from balai.complaints.models import Complaint

    existing = Complaint.objects.filter(village=village).first()
    if existing:
        return existing
    return do_submit_complaint(
        resident=village.residents.first(),
        kind="complaint",
        category=village.complaint_categories.get(slug="jalan"),
        description="Jalan berlubang",
        show_name=False,
    )


def faq_of(village):
    from balai.villages.models import Faq

    return Faq.objects.filter(village=village).first() or Faq.objects.create(
        village=village, question="Kapan posyandu?", answer="Tanggal 10."
    )


def issued_of(village):
    from balai.letters.documents import do_issue_letter

    kades = village.memberships.get(role="kades").user
    return do_issue_letter(request_of(village), signer=kades)


def data_request_of(village):
    from balai.residents.privacy import do_receive_data_request

    return do_receive_data_request(village.residents.first(), "export")[0]


def conversation_of(village):
    from balai.conversations.models import Conversation

    resident = village.residents.first()
    return Conversation.objects.get_or_create(resident=resident, defaults={"village": village})[0]


def media_of(village):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from balai.whatsapp.models import InboundMessage, Media, WhatsAppNumber

    existing = Media.objects.filter(village=village).first()
    if existing:
        return existing
    number, _ = WhatsAppNumber.objects.get_or_create(
        village=village, defaults={"phone_number_id": f"9{village.pk:09d}"}
    )
    message = InboundMessage.objects.create(
        village=village,
        number=number,
        wamid=f"wamid.TENANCY{village.pk}",
        type="image",
        message={},
        sent_at=timezone.now(),
        resident=village.residents.first(),
    )
    media = Media(village=village, message=message, media_id="1", mime_type="image/png")
    media.file.save("tenancy.png", ContentFile(b"\x89PNG tenancy"), save=False)
    media.state = Media.State.STORED
    media.save()
    return media


def programme_of(village):
    import datetime as dt

    from balai.programmes.models import Programme

    return Programme.objects.filter(village=village).first() or Programme.objects.create(
        village=village,
        title=f"Pendampingan {village.name}",
        purpose="Uji",
        target_group="pedagang pasar",
        starts_on=dt.date(2026, 7, 1),
        ends_on=dt.date(2026, 9, 30),
    )


def activity_of(village):
    import datetime as dt

    from django.utils import timezone

    programme = programme_of(village)
    activity = programme.activities.first() or programme.activities.create(
        title="Pelatihan", starts_at=timezone.now() + dt.timedelta(days=2)
    )
    return {"code": programme.code, "activity": activity.code}


def lesson_of(village):
    programme = programme_of(village)
    lesson = programme.lessons.first() or programme.lessons.create(title="Materi", body="Isi")
    return {"code": programme.code, "lesson": lesson.code}


def quiz_of(village, number=False):
    """A quiz with one question (question pages are addressed by its number)."""
    programme = programme_of(village)
    quiz = programme.quizzes.first() or programme.quizzes.create(kind="pre", title="Pre-test")
    if not quiz.questions.exists():
        quiz.questions.create(text="Apa itu katalog?", choices=["Daftar produk", "Alat"], correct=0)
    return {"code": programme.code, "quiz": quiz.code, **({"number": 1} if number else {})}


def photo_of(village):
    """A documentation photo (a real image: the grid shows a thumbnail of it)."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from balai.programmes.models import Photo
    from balai.simulator.tests.base import PNG

    programme = programme_of(village)
    photo = programme.photos.first()
    if photo is None:
        photo = Photo(programme=programme, caption="Foto 1", created=timezone.now())
        photo.file.save("tenancy.png", ContentFile(PNG), save=False)
        photo.save()
    return {"code": programme.code, "photo": photo.code}


def log_entry_of(village):
    """A logbook entry written by the village head (authors edit their own)."""
    import datetime as dt

    programme = programme_of(village)
    entry = programme.log.first() or programme.log.create(
        date=dt.date(2026, 7, 6),
        text="Observasi",
        author=village.memberships.get(role="kades").user,
    )
    return {"code": programme.code, "entry": entry.pk}


def poster_of(village, key=None):
    """Posters need the village's WhatsApp number (their QR is a wa.me link)."""
    from balai.whatsapp.models import WhatsAppNumber

    number, _ = WhatsAppNumber.objects.get_or_create(
        village=village, defaults={"phone_number_id": f"9{village.pk:09d}"}
    )
    if not number.display_number:
        number.display_number = "15550783881"
        number.save(update_fields=["display_number"])
    return {"key": key} if key else {}


def announcement_of(village):
    """A draft announcement of the village (its topics are seeded with the village)."""
    from balai.announcements.models import Announcement, Topic

    return Announcement.objects.filter(village=village).first() or Announcement.objects.create(
        village=village,
        title="Kerja bakti",
        body="Minggu pukul 07.00.",
        topic=Topic.objects.get(village=village, slug="umum"),
    )


def market_content_product_of(village):
    """A product with one post (the content pages preview and serve its image)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from balai.market.models import Post, Product, Seller

    product = Product.objects.filter(village=village, posts__isnull=False).first()
    if product:
        return product
    resident = village.residents.first()
    seller = Seller.objects.filter(village=village).first() or Seller.objects.create(
        village=village, resident=resident, business_name="Usaha Uji", slug=f"uji-{village.slug}"
    )
    product = Product.objects.create(
        seller=seller, village=village, name="Sokasi Bundar", price=25000, is_published=True
    )
    data = io.BytesIO()
    Image.new("RGB", (16, 16), "white").save(data, "JPEG")
    post = Post(product=product, style="bersih", format="square", caption="Sokasi #umkmdesa")
    post.image.save("tenancy.jpg", ContentFile(data.getvalue()), save=False)
    post.save()
    return product


def market_social_account_of(village):
    from balai.market.models import SocialAccount

    return SocialAccount.objects.filter(village=village).first() or SocialAccount.objects.create(
        village=village,
        kind="facebook",
        account_id="102345678901234",
        name="Halaman Uji",
        access_token="EAAB" + "x" * 40,
    )


def market_seller_of(village, poster=False):
    """The village's first seller; with ``poster``, the kwargs of its PNG poster."""
    from balai.market.actions import do_add_seller
    from balai.market.models import Seller

    seller = Seller.objects.filter(village=village).first() or do_add_seller(
        village, village.residents.first(), business_name=f"Usaha {village.name}"
    )
    return {**poster_of(village), "code": seller.code, "fmt": "png"} if poster else seller


def market_product_of(village):
    from balai.market.models import Product

    seller = market_seller_of(village)
    return Product.objects.filter(village=village).first() or Product.objects.create(
        seller=seller, village=village, name="Sokasi", price=25000, is_published=True
    )


def outcome_indicator_of(village):
    from balai.outcomes.models import Indicator

    return Indicator.objects.filter(village=village).first() or Indicator.objects.create(
        village=village, programme=programme_of(village), name="Omzet", unit="Rp"
    )


def outcome_token_of(village):
    from balai.outcomes.actions import do_create_token
    from balai.outcomes.models import ApiToken

    return (
        ApiToken.objects.filter(village=village).first()
        or do_create_token(village, "Power BI", None)[0]
    )


# For each staff URL: which object of a village fills its other parameters.
OBJECT_KWARGS = {
    "villages:dashboard": lambda v: {},
    "villages:settings": lambda v: {},
    "villages:staff": lambda v: {},
    "villages:areas": lambda v: {},
    "villages:audit": lambda v: {},
    "villages:notifications": lambda v: {},
    "villages:staff_deactivate": lambda v: {"code": v.memberships.first().code},
    "residents:list": lambda v: {},
    "residents:create": lambda v: {},
    "residents:detail": lambda v: {"code": v.residents.first().code},
    "residents:edit": lambda v: {"code": v.residents.first().code},
    "residents:reveal": lambda v: {"code": v.residents.first().code},
    "whatsapp:channel": lambda v: {},
    "whatsapp:check": lambda v: {},
    "whatsapp:resume": lambda v: {},
    "whatsapp:media": lambda v: {"code": media_of(v).code},
    "letter_requests:list": lambda v: {},
    "letter_requests:detail": lambda v: {"code": request_of(v).code},
    "letter_requests:assign": lambda v: {"code": request_of(v).code},
    "letter_requests:action": lambda v: {"code": request_of(v).code, "action": "catatan"},
    "inbox:list": lambda v: {},
    "inbox:quick_replies": lambda v: {},
    "complaint_desk:list": lambda v: {},
    "villages:services": lambda v: {},
    "villages:faq_create": lambda v: {},
    "villages:faq_edit": lambda v: {"code": faq_of(v).code},
    "villages:faq_toggle": lambda v: {"code": faq_of(v).code},
    "villages:faq_move": lambda v: {"code": faq_of(v).code},
    "villages:faq_delete": lambda v: {"code": faq_of(v).code},
    "complaints:category_create": lambda v: {},
    "complaints:category_edit": lambda v: {"slug": "jalan"},
    "complaints:category_toggle": lambda v: {"slug": "jalan"},
    "complaints:category_move": lambda v: {"slug": "jalan"},
    "letters:letter_type": lambda v: {"slug": "domisili"},
    "letter_documents:templates": lambda v: {},
    "letter_documents:edit": lambda v: {"slug": "domisili"},
    "letter_documents:preview": lambda v: {"slug": "domisili"},
    "letter_documents:issued_pdf": lambda v: {"code": issued_of(v).request.code},
    "residents:import": lambda v: {},
    "residents:import_confirm": lambda v: {},
    "residents:import_template": lambda v: {},
    "residents:verify_queue": lambda v: {},
    "residents:verify": lambda v: {"code": v.residents.first().code},
    "residents:merge": lambda v: {"code": v.residents.first().code},
    "residents:data_requests": lambda v: {},
    "residents:data_request": lambda v: {"code": data_request_of(v).code},
    "residents:data_request_process": lambda v: {"code": data_request_of(v).code},
    "residents:data_request_refuse": lambda v: {"code": data_request_of(v).code},
    "residents:data_request_record": lambda v: {"code": v.residents.first().code},
    "complaint_desk:detail": lambda v: {"code": complaint_of(v).code},
    "complaint_desk:action": lambda v: {"code": complaint_of(v).code, "action": "catatan"},
    "inbox:detail": lambda v: {"code": conversation_of(v).resident.code},
    "inbox:updates": lambda v: {"code": conversation_of(v).resident.code},
    "inbox:action": lambda v: {"code": conversation_of(v).resident.code, "action": "catatan"},
    "posters:index": poster_of,
    "posters:style": poster_of,
    "posters:zip": poster_of,
    "posters:pdf": lambda v: poster_of(v, "sktm"),
    "posters:png": lambda v: poster_of(v, "sktm"),
    "announcements:list": lambda v: {},
    "announcements:create": lambda v: {},
    "announcements:topics": lambda v: {},
    "announcements:topic_edit": lambda v: {"slug": "umum"},
    "announcements:settings": lambda v: {},
    "announcements:subscribers": lambda v: {},
    "announcements:detail": lambda v: {"code": announcement_of(v).code},
    "announcements:edit": lambda v: {"code": announcement_of(v).code},
    "announcements:review": lambda v: {"code": announcement_of(v).code},
    "announcements:progress": lambda v: {"code": announcement_of(v).code},
    "announcements:report": lambda v: {"code": announcement_of(v).code},
    "announcements:file": lambda v: {"code": announcement_of(v).code, "kind": "kartu"},
    "announcements:action": lambda v: {"code": announcement_of(v).code, "action": "ajukan"},
    "programmes:list": lambda v: {},
    "programmes:add": lambda v: {},
    "programmes:detail": lambda v: {"code": programme_of(v).code},
    "programmes:edit": lambda v: {"code": programme_of(v).code},
    "programmes:participants": lambda v: {"code": programme_of(v).code},
    "programmes:participant_add": lambda v: {"code": programme_of(v).code},
    "programmes:participant_import": lambda v: {"code": programme_of(v).code},
    "programmes:participant_template": lambda v: {"code": programme_of(v).code},
    "programmes:consent_request": lambda v: {"code": programme_of(v).code},
    "programmes:group": lambda v: {"code": programme_of(v).code},
    "programmes:announce": lambda v: {"code": programme_of(v).code},
    "programmes:activities": lambda v: {"code": programme_of(v).code},
    "programmes:activity_add": lambda v: {"code": programme_of(v).code},
    "programmes:activity": lambda v: activity_of(v),
    "programmes:activity_edit": lambda v: activity_of(v),
    "programmes:attendance": lambda v: activity_of(v),
    "programmes:followup": lambda v: {"code": programme_of(v).code},
    "programmes:lessons": lambda v: {"code": programme_of(v).code},
    "programmes:lesson_add": lambda v: {"code": programme_of(v).code},
    "programmes:lesson": lesson_of,
    "programmes:lesson_send": lesson_of,
    "programmes:lesson_delete": lesson_of,
    "programmes:quizzes": lambda v: {"code": programme_of(v).code},
    "programmes:quiz_add": lambda v: {"code": programme_of(v).code},
    "programmes:quiz_compare": lambda v: {"code": programme_of(v).code},
    "programmes:quiz": quiz_of,
    "programmes:quiz_delete": quiz_of,
    "programmes:quiz_open": quiz_of,
    "programmes:quiz_close": quiz_of,
    "programmes:quiz_send": quiz_of,
    "programmes:quiz_results": quiz_of,
    "programmes:question_add": quiz_of,
    "programmes:question_edit": lambda v: quiz_of(v, number=True),
    "programmes:question_delete": lambda v: quiz_of(v, number=True),
    "programmes:docs": lambda v: {"code": programme_of(v).code},
    "programmes:docs_photo": photo_of,
    "programmes:docs_thumb": photo_of,
    "programmes:docs_delete": photo_of,
    "programmes:logbook": lambda v: {"code": programme_of(v).code},
    "programmes:logbook_edit": log_entry_of,
    "programmes:comments": lambda v: {"code": programme_of(v).code},
    "programmes:report": lambda v: {"code": programme_of(v).code},
    "programmes:report_pdf": lambda v: {"code": programme_of(v).code},
    "programmes:report_docx": lambda v: {"code": programme_of(v).code},
    "programmes:consent_pdf": lambda v: {"code": programme_of(v).code},
    # Social media content (balai.market.views_content)
    "market:content_index": lambda v: {},
    "market:content_product": lambda v: {"code": market_content_product_of(v).code},
    "market:content_generate": lambda v: {"code": market_content_product_of(v).code},
    "market:content_send": lambda v: {"code": market_content_product_of(v).code},
    "market:content_zip": lambda v: {"code": market_content_product_of(v).code},
    "market:content_image": lambda v: {"code": market_content_product_of(v).posts.first().code},
    "market:content_caption": lambda v: {"code": market_content_product_of(v).posts.first().code},
    "market:content_publish": lambda v: {"code": market_content_product_of(v).posts.first().code},
    "market:content_accounts": lambda v: {},
    "market:content_connect": lambda v: {},
    "market:content_disconnect": lambda v: {"code": market_social_account_of(v).code},
    "market:content_history": lambda v: {},
    # Sellers, products, sales (balai.market.views)
    "market:overview": lambda v: {},
    "market:catalogue_poster": poster_of,
    "market:catalogue_poster_png": poster_of,
    "market:seller_add": lambda v: {},
    "market:seller": lambda v: {"code": market_seller_of(v).code},
    "market:seller_edit": lambda v: {"code": market_seller_of(v).code},
    "market:seller_poster": lambda v: market_seller_of(v, poster=True),
    "market:products": lambda v: {},
    "market:product_add": lambda v: {},
    "market:product": lambda v: {"code": market_product_of(v).code},
    "market:product_edit": lambda v: {"code": market_product_of(v).code},
    "market:product_stock": lambda v: {"code": market_product_of(v).code},
    "market:product_delete": lambda v: {"code": market_product_of(v).code},
    "market:photo_add": lambda v: {"code": market_product_of(v).code},
    "market:photo_action": lambda v: {"code": market_product_of(v).code, "index": 0},
    "market:sales": lambda v: {},
    "market:sale_add": lambda v: {},
    "market:sale_delete": lambda v: {},
    "market:sales_monthly": lambda v: {},
    "market:sales_csv": lambda v: {},
    # Outcome monitoring (balai.outcomes)
    "outcomes:village": lambda v: {},
    "outcomes:indicator_add": lambda v: {},
    "outcomes:standard": lambda v: {},
    "outcomes:xlsx": lambda v: {},
    "outcomes:csv": lambda v: {"table": "indikator"},
    "outcomes:tokens": lambda v: {},
    "outcomes:token_revoke": lambda v: {"code": outcome_token_of(v).code},
    "outcomes:programme": lambda v: {"code": programme_of(v).code},
    "outcomes:programme_indicator_add": lambda v: {"code": programme_of(v).code},
    "outcomes:programme_standard": lambda v: {"code": programme_of(v).code},
    "outcomes:programme_xlsx": lambda v: {"code": programme_of(v).code},
    "outcomes:programme_csv": lambda v: {"code": programme_of(v).code, "table": "indikator"},
    "outcomes:indicator": lambda v: {"code": outcome_indicator_of(v).code},
    "outcomes:indicator_edit": lambda v: {"code": outcome_indicator_of(v).code},
    "outcomes:indicator_delete": lambda v: {"code": outcome_indicator_of(v).code},
    "outcomes:target": lambda v: {"code": outcome_indicator_of(v).code},
    "outcomes:value": lambda v: {"code": outcome_indicator_of(v).code},
}

# Actions that only accept POST: a GET is 405 whether or not the object exists.
POST_ONLY = {
    "villages:staff_deactivate",
    "residents:reveal",
    "whatsapp:check",
    "whatsapp:resume",
    "letter_requests:assign",
    "letter_requests:action",
    "inbox:action",
    "inbox:quick_replies",
    "complaint_desk:action",
    "villages:faq_toggle",
    "villages:faq_move",
    "complaints:category_toggle",
    "complaints:category_move",
    "residents:import_confirm",
    "residents:verify",
    "residents:data_request_process",
    "residents:data_request_refuse",
    "residents:data_request_record",
    "announcements:review",
    "announcements:action",
    "programmes:consent_request",
    "programmes:attendance",
    "programmes:lesson_send",
    "programmes:quiz_open",
    "programmes:quiz_close",
    "programmes:quiz_send",
    "programmes:question_delete",
    "programmes:docs_delete",
    "market:content_generate",
    "market:content_send",
    "market:content_publish",
    "market:content_disconnect",
    "market:product_stock",
    "market:photo_add",
    "market:photo_action",
    "market:sale_delete",
    "outcomes:standard",
    "outcomes:programme_standard",
    "outcomes:token_revoke",
    "outcomes:indicator_delete",
    "outcomes:target",
    "outcomes:value",
}

# Letter types and complaint categories are addressed by slug, and every village has the
# same default slugs: under one's own village slug they find one's own object, not a leak.
SLUG_SCOPED = {
    "complaints:category_edit",
    "complaints:category_toggle",
    "complaints:category_move",
    "letters:letter_type",
    "letter_documents:edit",
    "letter_documents:preview",
    "posters:pdf",
    "posters:png",
    "announcements:topic_edit",
    "outcomes:csv",  # the table's name, the same in every village
}


class TenancyTest(BaseTestCase):
    def test_every_staff_url_is_covered(self):
        found = {name for name, _ in staff_patterns()}
        self.assertTrue(found, "no staff URLs found")
        self.assertEqual(found - set(OBJECT_KWARGS), set(), "add new staff URLs to OBJECT_KWARGS")

    def _url(self, name, slug_village, object_village):
        from django.urls import reverse

        return reverse(
            name, kwargs={"village_slug": slug_village.slug, **OBJECT_KWARGS[name](object_village)}
        )

    def test_other_village_is_404_for_every_role(self):
        for role in [Role.OPERATOR, Role.KADES, Role.DPL]:
            self.login(self.staff[role])
            for name, _params in staff_patterns():
                url = self._url(name, self.other_village, self.other_village)
                for method in ("get", "post"):
                    with self.subTest(role=role, url=url, method=method):
                        response = getattr(self.client, method)(url)
                        self.assertEqual(response.status_code, 404)
                        self.assertNotContains(response, self.other_resident.name, status_code=404)

    def test_other_villages_object_under_own_slug_is_404(self):
        self.login(self.staff[Role.KADES])
        for name, params in staff_patterns():
            if not params or name in SLUG_SCOPED:
                continue
            url = self._url(name, self.village, self.other_village)
            for method in ("get", "post"):
                expected = 405 if method == "get" and name in POST_ONLY else 404
                with self.subTest(url=url, method=method):
                    self.assertEqual(getattr(self.client, method)(url).status_code, expected)

    def test_outsider_gets_404_and_anonymous_goes_to_login(self):
        for name, _params in staff_patterns():
            url = self._url(name, self.village, self.village)
            self.client.logout()
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302, url)
            self.assertTrue(response["Location"].startswith("/masuk/?next="), url)
            self.login(self.outsider)
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_own_village_pages_work(self):
        self.login(self.staff[Role.KADES])
        for name, _params in staff_patterns():
            if name in POST_ONLY:
                continue  # tested on their own
            url = self._url(name, self.village, self.village)
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_platform_operator_reaches_every_village(self):
        self.login(self.platform)
        for village in (self.village, self.other_village):
            self.assertEqual(self.client.get(f"/desa/{village.slug}/").status_code, 200)
            self.assertEqual(self.client.get(f"/desa/{village.slug}/warga/").status_code, 200)

    def test_village_switch_menu_lists_only_own_villages(self):
        self.login(self.operator)
        response = self.client.get("/desa/pondok/")
        self.assertContains(response, "Desa Pondok")
        self.assertNotContains(response, "Tigawasa")
