from django.test import TestCase

from balai.announcements.demo import seed_announcements
from balai.announcements.models import Announcement, Subscription
from balai.announcements.sending import progress
from balai.core import demo


class DemoTest(TestCase):
    def test_seed_announcements_is_idempotent_and_shows_every_state(self):
        villages = demo.seed()
        pondok = next(v for v in villages if v.slug == "pondok")
        seed_announcements(pondok)
        seed_announcements(pondok)  # again: nothing new
        posts = Announcement.objects.filter(village=pondok)
        self.assertEqual(sorted(posts.values_list("state", flat=True)), ["pending", "sent"])
        subscribers = Subscription.objects.filter(village=pondok).values("resident").distinct()
        self.assertGreater(subscribers.count(), 10)
        sent = posts.get(state="sent")
        data = progress(sent.broadcast)
        self.assertEqual(data["total"], data["done"])
        self.assertEqual(data["counts"]["failed"], 1)
        self.assertGreater(data["counts"]["read"], 0)
        self.assertGreater(data["counts"]["delivered"], 0)
        self.assertTrue(sent.is_public)
        self.assertFalse(posts.get(state="pending").is_public)
        response = self.client.get(f"/d/pondok/kabar/{sent.code}/")
        self.assertContains(response, sent.title)
