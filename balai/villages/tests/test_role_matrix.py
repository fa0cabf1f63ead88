"""Every staff action for every role: the URLconf is enumerated, so a new page is covered
the day it is added. A role without the page's capability gets 403 for GET and POST; a role
with it is never refused (it may get 200, a redirect, 405 for a GET on a POST-only action,
or a form error)."""

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from balai.test import BaseTestCase
from balai.villages.roles import Role, role_can
from balai.villages.tests.test_tenancy import OBJECT_KWARGS


def staff_views(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from staff_views(entry, ns)
        elif isinstance(entry, URLPattern) and "village_slug" in entry.pattern.regex.groupindex:
            view = entry.callback
            while not hasattr(view, "capability") and hasattr(view, "__wrapped__"):
                view = view.__wrapped__
            yield f"{prefix}{entry.name}", getattr(view, "capability", "missing")


# Pages everyone in the office may read whose changes (POST) need more, checked in the view.
POST_CAPABILITY = {
    "villages:staff": "manage_village",
    "villages:areas": "manage_village",
    "letters:letter_type": "manage_village",
    "programmes:group": "manage_programmes",
    "programmes:announce": "manage_programmes",
    "programmes:lesson": "manage_programmes",
    "programmes:quiz": "manage_programmes",
    "programmes:docs": "manage_programmes",
    "programmes:logbook": "manage_programmes",
    "programmes:followup": "manage_programmes",
    "programmes:comments": "comment",
}


class RoleMatrixTest(BaseTestCase):
    def test_every_staff_view_declares_its_capability(self):
        missing = [name for name, capability in staff_views() if capability == "missing"]
        self.assertEqual(missing, [], "staff views must use @staff_view")

    def test_every_action_for_every_role(self):
        views = list(staff_views())
        self.assertGreater(len(views), 40)
        for role in Role:
            self.login(self.staff[role])
            for name, capability in views:
                url = reverse(
                    name,
                    kwargs={"village_slug": self.village.slug, **OBJECT_KWARGS[name](self.village)},
                )
                for method in ("get", "post"):
                    needed = (
                        POST_CAPABILITY.get(name, capability) if method == "post" else capability
                    )
                    allowed = needed is None or role_can(role, needed)
                    with self.subTest(role=role.value, url=name, method=method):
                        status = getattr(self.client, method)(url).status_code
                        if allowed:
                            self.assertNotIn(status, {403, 404, 500}, f"{role} refused {name}")
                        else:
                            self.assertEqual(status, 403, f"{role} reached {name}")
