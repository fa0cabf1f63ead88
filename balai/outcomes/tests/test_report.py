"""Section 9 of the programme report: indicator tables and the charts as PNG."""

import io
from unittest import mock

from balai.outcomes import actions
from balai.outcomes.tests import fixture
from balai.outcomes.tests.test_views import NOW
from balai.programmes import report
from balai.test import BaseTestCase
from balai.villages.models import Village


class ReportTest(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.programme = fixture.build(cls)["programme"]

    def setUp(self):
        patcher = mock.patch.object(Village, "local_now", lambda v: NOW.astimezone(v.tz))
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_without_indicators_the_section_is_the_note(self):
        self.assertIsNone(report.build_report(self.programme).outcomes)

    def test_pdf_and_docx_carry_indicators_and_charts(self):
        import pypdfium2 as pdfium
        from docx import Document

        actions.do_add_standard(self.village, self.programme, self.staff["pendamping"])
        data = report.build_report(self.programme)
        part = data.outcomes
        self.assertEqual(len(part.indicators), 12)
        self.assertIn("Rp 80.000", part.sales_sentence)
        self.assertIn("Rp 115.000", part.sales_sentence)
        self.assertEqual([c.name for c in part.charts], ["sales", "people", "funnel", "scores1"])
        self.assertTrue(all(c.png.startswith(b"\x89PNG") for c in part.charts))

        pdf = pdfium.PdfDocument(report.report_pdf(data))
        images = sum(
            1
            for page in pdf
            for obj in page.get_objects()
            if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
        )
        self.assertEqual(images, 4)  # the fixture has no photos: the four charts
        text = "".join(page.get_textpage().get_text_range() for page in pdf)
        self.assertIn("Penjualan per peserta per bulan", text)
        self.assertIn("Grafik 1.", text)

        doc = Document(io.BytesIO(report.report_docx(data)))
        self.assertEqual(len(doc.inline_shapes), 4)
        cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
        self.assertIn("Peserta lulus post-test", cells)
        self.assertIn("Siti Aminah", cells)
