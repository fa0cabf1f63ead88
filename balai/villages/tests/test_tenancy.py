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


# For each staff URL: which object of a village fills its other parameters.
OBJECT_KWARGS = {
    "villages:dashboard": lambda v: {},
    "villages:settings": lambda v: {},
    "villages:staff": lambda v: {},
    "villages:areas": lambda v: {},
    "villages:staff_deactivate": lambda v: {"code": v.memberships.first().code},
    "residents:list": lambda v: {},
    "residents:create": lambda v: {},
    "residents:detail": lambda v: {"code": v.residents.first().code},
    "residents:edit": lambda v: {"code": v.residents.first().code},
    "residents:reveal": lambda v: {"code": v.residents.first().code},
    "whatsapp:channel": lambda v: {},
    "whatsapp:check": lambda v: {},
    "whatsapp:resume": lambda v: {},
}

# Actions that only accept POST: a GET is 405 whether or not the object exists.
POST_ONLY = {"villages:staff_deactivate", "residents:reveal", "whatsapp:check", "whatsapp:resume"}


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
            if not params:
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
