"""The console's list pages run the same number of SQL queries whatever the data size.

Each test fills the village with a few rows of everything (residents living in an RT of a
dusun, as the register has them, each with a letter request, a complaint, a conversation
waiting for staff and an audit entry; FAQs and complaint categories for the services page),
counts the queries of one GET, adds many more rows and counts again: the two counts must be
equal. A count that grows means a query per row (usually a template reading a relation the
view did not ``select_related``); the failure message lists both runs' queries.
"""

import datetime as dt
import itertools
import re
from collections import Counter

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from balai.complaints.actions import do_add_category, do_submit_complaint
from balai.complaints.models import Category
from balai.conversations.models import Conversation
from balai.letters.actions import do_submit_request
from balai.letters.models import LetterType
from balai.residents.models import Resident
from balai.test import BaseTestCase
from balai.villages.actions import do_add_faq, do_audit
from balai.villages.models import Area
from balai.villages.roles import Role

FEW, MORE = 3, 30


def shape(sql: str) -> str:
    """The statement without its literal numbers, so per-row repeats group together."""
    return re.sub(r"\b\d+\b", "N", sql)


class QueryCountTest(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.rts = [
            Area.objects.create(village=cls.village, kind="rt", name=f"00{n}", parent=cls.dusun)
            for n in range(1, 4)
        ]
        cls.domisili = LetterType.objects.get(village=cls.village, slug="domisili")
        cls.jalan = Category.objects.get(village=cls.village, slug="jalan")

    def setUp(self):
        self.serial = itertools.count(1)
        self.actors = itertools.cycle([self.staff[r] for r in (Role.OPERATOR, Role.SEKDES)])
        self.login(self.operator)

    def add_rows(self, n: int) -> None:
        """``n`` more residents (unverified, in an RT), each with a letter request, a
        complaint, a conversation waiting for staff and an audit entry; ``n`` FAQs and
        complaint categories."""
        for _ in range(n):
            i = next(self.serial)
            resident = Resident.objects.create(
                village=self.village,
                name=f"Warga {i:03d}",
                phone=f"+62812555{i:05d}",
                nik=f"3311020101{i % 100:02d}{i:04d}",
                birth_date=dt.date(1980, 1, 1),
                area=self.rts[i % len(self.rts)],
            )
            request = do_submit_request(
                letter_type=self.domisili,
                resident=resident,
                contact=resident,
                identity="matched",
                answers={},
                attachments=[],
            )
            do_submit_complaint(
                resident=resident,
                kind="complaint",
                category=self.jalan,
                description=f"Jalan rusak di RT {i}",
                show_name=False,
            )
            Conversation.objects.create(
                village=self.village,
                resident=resident,
                handoff_at=timezone.now(),
                assigned_to=next(self.actors),
            )
            do_audit(next(self.actors), self.village, "letter_request.view", request)
            do_add_faq(
                self.village, question=f"Pertanyaan {i}?", answer="Jawaban.", actor=self.operator
            )
            do_add_category(self.village, name=f"Kategori {i}", actor=self.operator)

    def queries(self, url: str) -> list[str]:
        self.client.get(url)  # the session's village is stored by the first visit
        with CaptureQueriesContext(connection) as context:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return [q["sql"] for q in context.captured_queries]

    def assertConstantQueries(self, name: str, query: str = "") -> None:
        url = reverse(name, args=[self.village.slug]) + query
        self.add_rows(FEW)
        few = self.queries(url)
        self.add_rows(MORE)
        many = self.queries(url)
        if len(few) != len(many):
            before, after = Counter(map(shape, few)), Counter(map(shape, many))
            grown = "\n".join(
                f"  {before[sql]} -> {after[sql]} times: {sql}"
                for sql in after
                if after[sql] != before[sql]
            )
            self.fail(
                f"{url}: {len(few)} queries with {FEW} rows, {len(many)} with "
                f"{FEW + MORE}: a query per row. Statements whose number changed:\n{grown}"
            )

    def test_dashboard(self):
        self.assertConstantQueries("villages:dashboard")

    def test_requests_queue(self):
        self.assertConstantQueries("letter_requests:list")

    def test_requests_queue_waiting_for_me(self):
        self.assertConstantQueries("letter_requests:list", "?status=mine")

    def test_residents_list(self):
        self.assertConstantQueries("residents:list")

    def test_residents_search(self):
        self.assertConstantQueries("residents:list", "?q=warga")

    def test_verify_queue(self):
        self.assertConstantQueries("residents:verify_queue")

    def test_inbox_waiting(self):
        self.assertConstantQueries("inbox:list")

    def test_inbox_all(self):
        self.assertConstantQueries("inbox:list", "?tampil=semua")

    def test_complaints_desk(self):
        self.assertConstantQueries("complaint_desk:list")

    def test_audit_log(self):
        self.assertConstantQueries("villages:audit")

    def test_services(self):
        self.assertConstantQueries("villages:services")
