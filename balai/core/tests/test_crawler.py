"""The crawler: every URL pattern of the URLconf, filled with real objects of village A.

- staff of village B (with B's slug and with A's) get 404 for GET and for a POST carrying
  the body of A's own form, and nothing of A changes;
- an anonymous visitor is sent to the login page on every staff page, gets 404 for A's
  objects behind B's public pages and for altered signed links, and A's public pages show
  no identity number or phone number;
- staff of A can open every page, every link found on those pages, and POST an empty body
  anywhere, without a 500;
- every page sends a CSP without inline scripts, and every POST form carries the CSRF token
  and is refused (403) without it.
"""

import hashlib
import re

from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from balai.core.tests import crawl
from balai.test import BaseTestCase
from balai.villages.roles import Role
from balai.villages.tests import test_tenancy as tenancy

# Pages an anonymous visitor may open (the rest send them to the login page).
ANONYMOUS_OK = {
    "healthz",
    "healthz_ready",
    "metrics",  # 404 without METRICS_TOKEN; needs the token (tested in test_health.py)
    "accounts:login",
    "accounts:login_code",
    "accounts:logout",
    "whatsapp:webhook",
}
# Token pages: the token is the object (tampering must give 404, not 500).
TOKEN_PARAMS = {"token"}
# Identity and contact data that no public page may show.
SECRET_VALUES = ("3311024501900001", "3311020101100002", "5108055203850003")
PHONE_FORMS = ("+6281234567890", "6281234567890", "081234567890", "0812-3456-7890")
MAX_LINKS_PER_PAGE_NAME = 3
# Catalogue pages show the seller's name and "chat the seller" link (unless the seller chose
# to take orders through the village office).
SELLER_PAGES = {"catalogue:seller", "catalogue:product", "catalogue:order", "catalogue:index"}
# URL parameters that name no object of a village (an action, a format, a fixed keyword that
# every village has): with the other village's slug they address that village's own page.
GENERIC_PARAMS = {"village_slug", "slug", "action", "kind", "fmt", "key", "keyword", "name",
                  "variant", "table"}  # fmt: skip


def url_name(path: str) -> str | None:
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return None
    return match.view_name if match.url_name else match.route


def fingerprint() -> dict:
    """A digest of every row of every model (sessions and logins aside)."""
    digests = {}
    for model in apps.get_models():
        if model._meta.db_table == "django_session" or model._meta.proxy:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "last_login"]
        digest = hashlib.sha256()
        for row in model.objects.order_by("pk").values_list(*fields):
            digest.update(repr(row).encode())
        digests[model._meta.label] = digest.hexdigest()
    return digests


class CrawlerTest(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.patterns = dict(crawl.all_patterns())
        known = set(tenancy.OBJECT_KWARGS) | set(crawl.PUBLIC_KWARGS)
        cls.kwargs_a = {n: crawl.fill(n, cls.village) for n in cls.patterns if n in known}
        cls.kwargs_b = {n: crawl.fill(n, cls.other_village) for n in cls.patterns if n in known}
        cls.crawl_as_staff_of_a()

    @classmethod
    def crawl_as_staff_of_a(cls):
        """GET every page and every link found on them, as the head of village A."""
        client = Client()
        client.force_login(cls.staff[Role.KADES])
        cls.pages = {}  # url -> (name, status, content type)
        cls.forms = {}  # name -> first POST form of that page
        cls.all_forms = []
        cls.page_problems = []
        queue = [
            (name, reverse(name, kwargs=kwargs))
            for name, kwargs in cls.kwargs_a.items()
            if name not in tenancy.POST_ONLY and name not in crawl.PUBLIC_POST_ONLY
        ]
        per_name = {}
        while queue:
            name, url = queue.pop(0)
            if url in cls.pages:
                continue
            response = client.get(url)
            content_type = response.get("Content-Type", "")
            cls.pages[url] = (name, response.status_code, content_type)
            if not crawl.is_html(response) or response.status_code != 200:
                continue
            page = crawl.parse(url, crawl.body(response).decode())
            csp = response.get("Content-Security-Policy", "")
            if "script-src 'self'" not in csp or "unsafe-inline" in csp:
                cls.page_problems.append(f"{url}: CSP {csp!r}")
            if page.inline_scripts or page.scripts_without_nonce or page.inline_handlers:
                cls.page_problems.append(
                    f"{url}: inline scripts {page.inline_scripts}, without nonce "
                    f"{page.scripts_without_nonce}, handlers {page.inline_handlers}"
                )
            for form in page.forms:
                if form.method == "post":
                    cls.all_forms.append(form)
                    # By the page it is on and by the URL it posts to.
                    cls.forms.setdefault(name, form)
                    cls.forms.setdefault(url_name(form.action) or name, form)
            for link in sorted(page.links):
                if link.startswith(("/static/", "/media/", "/admin/", "/simulator/")):
                    continue
                link_name = url_name(link)
                if link_name is None or link_name in crawl.PUBLIC_POST_ONLY:
                    continue
                per_name[link_name] = per_name.get(link_name, 0) + 1
                if per_name[link_name] <= MAX_LINKS_PER_PAGE_NAME:
                    queue.append((link_name, link))

    def test_every_url_pattern_is_filled(self):
        missing = set(self.patterns) - set(tenancy.OBJECT_KWARGS) - set(crawl.PUBLIC_KWARGS)
        self.assertEqual(
            missing,
            set(),
            "new URL patterns: say which object fills them (staff pages: OBJECT_KWARGS in "
            "balai/villages/tests/test_tenancy.py; others: PUBLIC_KWARGS in "
            "balai/core/tests/crawl.py)",
        )
        for name, params in self.patterns.items():
            with self.subTest(name=name):
                self.assertEqual(set(self.kwargs_a[name]), params, "parameters not filled")

    def test_staff_of_a_never_see_a_500(self):
        self.assertGreater(len(self.pages), len(self.kwargs_a) // 2)
        errors = {url: status for url, (_n, status, _t) in self.pages.items() if status >= 500}
        self.assertEqual(errors, {})
        staff_pages = [
            (url, status)
            for url, (name, status, _t) in self.pages.items()
            if name in tenancy.OBJECT_KWARGS and status not in {200, 302}
        ]
        self.assertEqual(staff_pages, [], "staff pages of one's own village answer 200 or 302")

    def test_staff_of_a_post_an_empty_body_anywhere_without_a_500(self):
        self.login(self.staff[Role.KADES])
        for name, kwargs in self.kwargs_a.items():
            if name == "accounts:logout":
                continue
            url = reverse(name, kwargs=kwargs)
            with self.subTest(url=url):
                self.assertLess(self.client.post(url).status_code, 500)

    def test_pages_send_csp_and_no_inline_script(self):
        self.assertEqual(self.page_problems, [])

    def test_staff_of_b_get_404_with_either_slug_and_a_real_body(self):
        before = fingerprint()
        for role in (Role.KADES, Role.OPERATOR):
            self.login(self.other_staff[role])
            for name, kwargs in self.kwargs_a.items():
                if name not in tenancy.OBJECT_KWARGS:
                    continue
                form = self.forms.get(name)
                data = dict(form.fields) if form else {"note": "x", "text": "x"}
                slugs = [self.village.slug]
                if set(kwargs) - GENERIC_PARAMS and name not in tenancy.SLUG_SCOPED:
                    slugs.append(self.other_village.slug)
                for slug in slugs:
                    url = reverse(name, kwargs={**kwargs, "village_slug": slug})
                    # 405 (a method the page never takes) and, in one's own village, 403 (a
                    # capability one's role lacks) are decided before any object is fetched.
                    expected = {404, 405} if slug == self.village.slug else {403, 404, 405}
                    for method in ("get", "post"):
                        with self.subTest(role=role, url=url, method=method):
                            response = getattr(self.client, method)(
                                url, data if method == "post" else None
                            )
                            self.assertIn(response.status_code, expected)
                            self.assertNotContains(
                                response, self.resident.name, status_code=response.status_code
                            )
        self.assertEqual(fingerprint(), before, "a refused request changed village A's data")

    def test_anonymous_visitor_is_sent_to_login_on_staff_pages(self):
        before = fingerprint()
        for name, kwargs in self.kwargs_a.items():
            if name in ANONYMOUS_OK or (
                name not in tenancy.OBJECT_KWARGS
                and not name.startswith("accounts:")
                and name != "villages:home"
            ):
                continue
            url = reverse(name, kwargs=kwargs)
            data = dict(self.forms[name].fields) if name in self.forms else {}
            for method in ("get", "post"):
                with self.subTest(url=url, method=method):
                    response = getattr(self.client, method)(url, data if method == "post" else None)
                    if method == "get" and name in tenancy.POST_ONLY:
                        self.assertIn(response.status_code, {302, 405})
                        continue
                    self.assertEqual(response.status_code, 302)
                    self.assertTrue(response["Location"].startswith("/masuk/?next="))
        self.assertEqual(fingerprint(), before)

    def public_names(self):
        return [n for n in self.kwargs_a if n in crawl.PUBLIC_KWARGS and "slug" in self.kwargs_a[n]]

    def test_public_pages_of_a_work_and_show_no_identity_or_phone(self):
        for name in self.public_names():
            url = reverse(name, kwargs=self.kwargs_a[name])
            with self.subTest(url=url):
                response = self.client.get(url)
                redirects = {"public:wa", "public:wa_keyword", "catalogue:order"}
                self.assertEqual(response.status_code, 302 if name in redirects else 200)
                content = crawl.body(response).decode(errors="replace")
                for secret in SECRET_VALUES:
                    self.assertNotIn(secret, content)
                if name in SELLER_PAGES:
                    continue  # a seller's own WhatsApp link, by their choice
                for secret in (*PHONE_FORMS, self.resident.name):
                    self.assertNotIn(secret, content)

    def test_public_pages_refuse_a_objects_under_b_slug(self):
        for name in self.public_names():
            if not set(self.kwargs_a[name]) - GENERIC_PARAMS:
                continue  # the village's own page: nothing of A's in it
            url = reverse(name, kwargs={**self.kwargs_a[name], "slug": self.other_village.slug})
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        # B's own pages show nothing of A's: no code, no link, no name.
        codes_of_a = {
            str(value)
            for kwargs in self.kwargs_a.values()
            for param, value in kwargs.items()
            if param not in GENERIC_PARAMS and len(str(value)) >= 8
        }
        for name in self.public_names():
            url = reverse(name, kwargs=self.kwargs_b[name])
            response = self.client.get(url)
            content = crawl.body(response).decode(errors="replace")
            for value in (*codes_of_a, self.resident.name, "Pondok", "/d/pondok/"):
                with self.subTest(url=url, value=value):
                    self.assertNotIn(value, content)

    def test_altered_signed_links_are_404(self):
        for name, kwargs in self.kwargs_a.items():
            if not TOKEN_PARAMS & set(kwargs):
                continue
            token = kwargs["token"]
            for altered in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x", "a" * 300,
                            token + ":", "%00", "..%2F..%2Fetc"):  # fmt: skip
                url = reverse(name, kwargs={**kwargs, "token": altered})
                with self.subTest(url=url):
                    self.assertEqual(self.client.get(url).status_code, 404)

    def test_every_post_form_carries_the_csrf_token_and_needs_it(self):
        self.assertGreater(len(self.all_forms), 20)
        missing = sorted({f"{f.page} -> {f.action}" for f in self.all_forms if not f.has_csrf})
        self.assertEqual(missing, [], "POST forms without {% csrf_token %}")
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.staff[Role.KADES])
        actions = sorted({f.action for f in self.all_forms})
        for action in actions:
            with self.subTest(action=action):
                self.assertEqual(client.post(action, {"x": "1"}).status_code, 403)
        # The login form too (anonymous).
        anonymous = Client(enforce_csrf_checks=True)
        response = anonymous.post("/masuk/", {"username": "kades-a", "password": "x"})
        self.assertEqual(response.status_code, 403)
        self.assertTrue(re.search(r"CSRF|Permintaan", response.content.decode()))
