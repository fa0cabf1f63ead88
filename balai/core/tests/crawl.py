"""The crawler's parts: every URL pattern of the URLconf, how to fill its parameters with
real objects of a village, and what a rendered page offers (links, forms, scripts).

Staff pages (with ``village_slug``) take their objects from the tenancy test's
``OBJECT_KWARGS``; every other page is listed in ``PUBLIC_KWARGS`` here. A URL pattern that
neither lists fails ``test_every_url_pattern_is_filled``: a parameter called ``code`` means a
resident on one page and a programme on the next, so a new page must say which object it
carries (a registry by parameter name would guess).
"""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from balai.villages.tests import test_tenancy as tenancy

# Not crawled: Django's admin (platform operators only; its own tests) and the WhatsApp
# simulator, a fake of Meta's API that exists only in demo and debug (the production
# settings test checks it is absent there).
SKIPPED_NAMESPACES = {"admin", "simulator"}


def all_patterns(resolver=None, prefix=""):
    """(name, parameter names) of every URL pattern; an unnamed one is named by its route."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from all_patterns(entry, ns)
        elif isinstance(entry, URLPattern):
            name = f"{prefix}{entry.name}" if entry.name else str(entry.pattern)
            yield name, set(entry.pattern.regex.groupindex)


# --- objects behind public pages (no village_slug) ----------------------------------------


def _token_of(url: str) -> dict:
    """The parameters of an absolute link the app builds (signed links)."""
    return dict(resolve(urlsplit(url).path).kwargs)


def public_complaint_of(village):
    """A moderated complaint with a real photo, on a village that shows its board."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from balai.simulator.tests.base import PNG

    if not village.public_complaints:
        village.public_complaints = True
        village.save(update_fields=["public_complaints"])
    complaint = tenancy.complaint_of(village)
    if complaint.photo_id is None:
        media = tenancy.media_of(village)
        media.file.save("board.png", ContentFile(PNG), save=True)
        complaint.photo = media
    complaint.moderated_at = complaint.moderated_at or timezone.now()
    complaint.save()
    return complaint


def complaint_photo_of(village):
    from django.core import signing

    from balai.public.views import PHOTO_SALT

    complaint = public_complaint_of(village)
    return {"slug": village.slug, "token": signing.dumps(complaint.pk, salt=PHOTO_SALT)}


def download_of(village):
    from balai.letters.workflow import download_url

    return _token_of(download_url(tenancy.issued_of(village)))


def data_download_of(village):
    """A finished data export (UU PDP) with its PDF, behind the resident's signed link."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from balai.residents.models import DataRequest
    from balai.residents.privacy import download_url

    done = DataRequest.objects.filter(village=village, state="done", kind="export").first()
    if done is None:
        now = timezone.now()
        done = DataRequest.objects.create(
            village=village,
            code=f"CRAWL-{village.pk}",
            resident=village.residents.first(),
            kind="export",
            state="done",
            received_at=now,
            due_at=now,
            done_at=now,
        )
        done.summary_file.save("data.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return _token_of(download_url(done, "pdf"))


def lesson_file_of(village):
    from django.core.files.base import ContentFile

    from balai.programmes.learning import lesson_link
    from balai.programmes.models import Lesson
    from balai.simulator.tests.base import PNG

    lesson = Lesson.objects.get(code=tenancy.lesson_of(village)["lesson"])
    if not lesson.file:
        lesson.file.save("materi.png", ContentFile(PNG), save=True)
    return _token_of(lesson_link(lesson))


def ics_of(village):
    from balai.programmes.views import ics_token

    kades = village.memberships.get(role="kades").user
    return {"token": ics_token(kades, tenancy.programme_of(village))}


def post_image_of(village):
    from balai.market.content import image_token

    post = tenancy.market_content_product_of(village).posts.first()
    return {"token": image_token(post)}


def catalogue_product_of(village):
    """A published product with one photo."""
    from balai.market.photos import do_add_photo
    from balai.market.tests.helpers import jpeg

    product = tenancy.market_product_of(village)
    if not product.photos.exists():
        do_add_photo(product, jpeg((64, 48)), "foto.jpg")
    return product


def signed_photo_of(village):
    from balai.market.catalogue import signed_photo_url

    return _token_of(signed_photo_url(catalogue_product_of(village).photos.first()))


def news_of(village):
    """A published announcement with a picture and a PDF attachment."""
    import io

    from django.core.files.base import ContentFile
    from django.utils import timezone
    from PIL import Image

    post = tenancy.announcement_of(village)
    if not post.published_at:
        data = io.BytesIO()
        Image.new("RGB", (32, 24), "teal").save(data, "JPEG")
        post.image.save("kabar.jpg", ContentFile(data.getvalue()), save=False)
        post.attachment.save("lampiran.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
        post.published_at = timezone.now()
        post.state = post.State.PUBLISHED
        post.save()
    return post


PUBLIC_KWARGS = {
    "healthz": lambda v: {},
    "healthz_ready": lambda v: {},
    "metrics": lambda v: {},
    "accounts:login": lambda v: {},
    "accounts:logout": lambda v: {},
    "accounts:password_change": lambda v: {},
    "accounts:login_code": lambda v: {},
    "accounts:account": lambda v: {},
    "accounts:two_factor_setup": lambda v: {},
    "accounts:two_factor_recovery": lambda v: {},
    "accounts:two_factor_disable": lambda v: {},
    "villages:home": lambda v: {},
    "whatsapp:webhook": lambda v: {},
    "letter_requests:download": download_of,
    "residents:data_download": data_download_of,
    "letter_requests:verify": lambda v: {"token": tenancy.issued_of(v).verify_token},
    "programmes:ics": ics_of,
    "programmes:lesson_file": lesson_file_of,
    "market:post_image": post_image_of,
    "public:home": lambda v: {"slug": v.slug},
    "public:services": lambda v: {"slug": v.slug},
    "public:service": lambda v: {
        "slug": v.slug,
        "keyword": v.letter_types.get(slug="domisili").keyword,
    },
    "public:status": lambda v: {"slug": v.slug},
    "public:complaints": lambda v: public_complaint_of(v) and {"slug": v.slug},
    "public:complaint_photo": complaint_photo_of,
    "public:wa": lambda v: tenancy.poster_of(v) or {"slug": v.slug},
    "public:wa_keyword": lambda v: tenancy.poster_of(v) or {"slug": v.slug, "keyword": "aduan"},
    "public:transparency": lambda v: {"slug": v.slug},
    "public:transparency_csv": lambda v: {"slug": v.slug},
    "public:transparency_json": lambda v: {"slug": v.slug},
    "public:transparency_chart": lambda v: {"slug": v.slug, "name": "pengaduan"},
    "catalogue:index": lambda v: {"slug": v.slug},
    "catalogue:seller": lambda v: {
        "slug": v.slug,
        "seller_slug": catalogue_product_of(v).seller.slug,
    },
    "catalogue:signed_photo": signed_photo_of,
    "catalogue:product": lambda v: {"slug": v.slug, "code": catalogue_product_of(v).code},
    "catalogue:order": lambda v: {"slug": v.slug, "code": catalogue_product_of(v).code},
    "catalogue:photo": lambda v: {
        "slug": v.slug,
        "code": catalogue_product_of(v).code,
        "index": 0,
        "variant": "besar.jpg",
    },
    "news:list": lambda v: {"slug": v.slug},
    "news:post": lambda v: {"slug": v.slug, "code": news_of(v).code},
    "news:image": lambda v: {"slug": v.slug, "code": news_of(v).code},
    "news:card": lambda v: {"slug": v.slug, "code": news_of(v).code},
    "news:attachment": lambda v: {"slug": v.slug, "code": news_of(v).code},
    # Outcomes: the regency view (platform operators) and the JSON API (a Bearer token, so a
    # browser without one gets 401; see balai/outcomes/tests/test_views.py).
    "outcomes:regency": lambda v: {},
    "outcomes_api:index": lambda v: {"village": v.slug},
    "outcomes_api:table": lambda v: {"village": v.slug, "name": "indikator"},
}

# Public pages that answer only some methods whatever the object.
PUBLIC_POST_ONLY = {
    "accounts:logout",
    "accounts:two_factor_recovery",
    "accounts:two_factor_disable",
}


def fill(name: str, village) -> dict:
    """The URL parameters of page ``name`` for ``village``'s objects."""
    if name in tenancy.OBJECT_KWARGS:
        return {"village_slug": village.slug, **tenancy.OBJECT_KWARGS[name](village)}
    return PUBLIC_KWARGS[name](village)


# --- what a page offers ---------------------------------------------------------------------


@dataclass
class Form:
    page: str
    action: str
    method: str
    enctype: str
    fields: dict = field(default_factory=dict)  # name -> default value (first option, etc.)
    files: list = field(default_factory=list)  # names of file inputs
    choices: dict = field(default_factory=dict)  # name -> option values
    has_csrf: bool = False


class PageParser(HTMLParser):
    """Links, forms and scripts of one HTML page (the standard library's parser)."""

    def __init__(self, url: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: set[str] = set()
        self.forms: list[Form] = []
        self.inline_scripts = 0
        self.scripts_without_nonce = 0
        self.inline_handlers: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None
        self._script_src = None

    def _absolute(self, href: str) -> str | None:
        href = (href or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "data:", "blob:")):
            return None
        parts = urlsplit(urljoin(self.url, href))
        if parts.scheme in {"http", "https"} and parts.netloc not in {"", "testserver"}:
            return None  # another site (wa.me, maps)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name in a:
            if name.startswith("on"):
                self.inline_handlers.append(f"<{tag} {name}>")
        for attr in ("href", "src"):
            if attr in a and tag in {"a", "img", "link", "script", "source", "iframe"}:
                if tag == "link" and a.get("rel") not in {"stylesheet", "icon", "manifest"}:
                    continue
                if (a[attr] or "").startswith("javascript:"):
                    self.inline_handlers.append(f"<{tag} {attr}=javascript:>")
                url = self._absolute(a[attr])
                if url:
                    self.links.add(url)
        if tag == "script":
            if not a.get("src"):
                self.inline_scripts += 1
            if "nonce" not in a:
                self.scripts_without_nonce += 1
        if tag == "form":
            self._form = Form(
                page=self.url,
                action=self._absolute(a.get("action") or self.url) or self.url,
                method=(a.get("method") or "get").lower(),
                enctype=a.get("enctype", ""),
            )
            self.forms.append(self._form)
        elif self._form is not None and tag == "input":
            name, kind = a.get("name"), (a.get("type") or "text").lower()
            if not name:
                return
            if name == "csrfmiddlewaretoken":
                self._form.has_csrf = True
            elif kind == "file":
                self._form.files.append(name)
            elif kind in {"checkbox", "radio"}:
                self._form.choices.setdefault(name, []).append(a.get("value", "on"))
                if "checked" in a:
                    self._form.fields[name] = a.get("value", "on")
            elif kind not in {"submit", "button", "reset", "image"}:
                self._form.fields[name] = a.get("value", "")
        elif self._form is not None and tag == "button" and a.get("name"):
            self._form.choices.setdefault(a["name"], []).append(a.get("value", ""))
            self._form.fields.setdefault(a["name"], a.get("value", ""))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.choices.setdefault(self._select, [])
        elif self._form is not None and tag == "option" and self._select:
            value = a.get("value", "")
            self._form.choices[self._select].append(value)
            if "selected" in a or self._select not in self._form.fields:
                self._form.fields[self._select] = value
        elif self._form is not None and tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._form.fields[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea and self._form is not None:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse(url: str, html: str) -> PageParser:
    parser = PageParser(url)
    parser.feed(html)
    parser.close()
    return parser


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


NOT_HTML = (".pdf", ".png", ".jpg", ".zip", ".csv", ".docx", ".xlsx", ".svg", ".ics", ".json",
            ".txt", ".webp", "/foto")  # fmt: skip


def post_forms(client, village) -> dict[str, list[Form]]:
    """Every POST form on every page of ``village`` that renders HTML (staff and public),
    by the name of the URL the form posts to, as ``client`` sees them."""
    found: dict[str, list[Form]] = {}
    for name in [*tenancy.OBJECT_KWARGS, *PUBLIC_KWARGS]:
        if name in tenancy.POST_ONLY or name in PUBLIC_POST_ONLY:
            continue
        url = reverse(name, kwargs=fill(name, village))
        if url.endswith(NOT_HTML):
            continue
        response = client.get(url)
        if response.status_code != 200 or not is_html(response):
            continue
        for form in parse(url, body(response).decode()).forms:
            if form.method != "post" or form.action.startswith("/keluar/"):
                continue
            target = resolve(form.action.split("?")[0])
            found.setdefault(target.view_name, []).append(form)
    return found
