"""The outcome part of the programme report (``balai.programmes.report``, section 9): the
indicator table with baseline, target and actual, sales against the baseline per
participant, the follow-up answers, and the dashboard's charts as PNG. Only for programmes
that have indicators; the PDF takes the charts from memory (``balai-grafik:<name>``)."""

from dataclasses import dataclass, field

from balai.outcomes import board as boards
from balai.outcomes import charts
from balai.outcomes.board import fmt, month_label, window_label
from balai.outcomes.indicators import pct

CHART_SCHEME = "balai-grafik:"
CAPTIONS = {
    "sales": "Penjualan peserta per bulan; garis putus-putus: rata-rata bulanan baseline.",
    "people": "Rata-rata penjualan per bulan tiap peserta, baseline dan sekarang.",
    "funnel": "Dari persetujuan sampai berjualan daring.",
    "scores1": "Sebaran nilai pre-test dan post-test.",
}


@dataclass
class Chart:
    number: int
    name: str
    caption: str
    png: bytes

    @property
    def src(self) -> str:
        return f"{CHART_SCHEME}{self.name}"

    @property
    def label(self) -> str:
        return f"Grafik {self.number}. {self.caption}"


@dataclass
class Section:
    as_of: str
    sales_sentence: str
    indicators: list[list[str]]
    people: list[list[str]]
    checkins: list[list[str]]
    charts: list[Chart] = field(default_factory=list)

    @property
    def images(self) -> dict[str, bytes]:
        return {c.name: c.png for c in self.charts}

    @property
    def heads(self) -> dict[str, list[str]]:
        return {"indicators": INDICATOR_HEAD, "people": PEOPLE_HEAD, "checkins": CHECKIN_HEAD}


INDICATOR_HEAD = ["Indikator", "Baseline", "Target", "Capaian", "Status"]
PEOPLE_HEAD = ["Peserta", "Baseline/bulan", "Sekarang/bulan", "Perubahan"]
CHECKIN_HEAD = ["Bulan", "Ditanyakan", "Dijawab", "Persen"]


def section(programme) -> Section | None:
    if not programme.indicators.exists():
        return None
    board = boards.build(programme.village, programme, with_breakdown=False)
    s = board.sales
    indicators = [
        [
            v.indicator.name,
            v.baseline_text
            + (f" ({window_label(v.baseline_window)})" if v.baseline_window else ""),
            v.target_text + (f" ({v.target_period})" if v.target_period else ""),
            v.target_actual_text if v.target is not None else v.value_text,
            v.status or "—",
        ]
        for v in board.indicators
    ]
    sentence = (
        f"Penjualan {s.n} peserta yang bersedia: rata-rata "
        f"{fmt(s.per_person(s.baseline_total), 'Rp')} per peserta per bulan pada periode "
        f"baseline ({window_label(s.baseline)})"
    )
    if s.window:
        sentence += (
            f", dan {fmt(s.per_person(s.window_total), 'Rp')} pada periode pembanding "
            f"({window_label(s.window)})."
        )
    else:
        sentence += "; belum ada bulan penuh sesudah baseline untuk dibandingkan."
    people = [
        [r.person.name, fmt(r.baseline, "Rp"), fmt(r.now, "Rp"),
         fmt(r.change, "%") if r.change is not None else "—"]
        for r in s.people
    ]  # fmt: skip
    checkins = [[month_label(m), str(a), str(b), fmt(pct(b, a), "%")] for m, a, b in board.checkins]
    pngs = charts.board_charts(board, "png")
    made = [
        Chart(n, name, CAPTIONS[name], pngs[name])
        for n, name in enumerate([k for k in CAPTIONS if k in pngs], 1)
    ]
    return Section(
        board.facts.today.strftime("%d-%m-%Y"), sentence, indicators, people, checkins, made
    )


def write_docx(doc, part: Section, table) -> None:
    """Section 9 of the DOCX, with the report's own ``table`` helper."""
    import io

    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc.add_paragraph(part.sales_sentence)
    table(INDICATOR_HEAD, part.indicators, [5.5, 3, 3, 2.5, 2.5])
    if part.people:
        table(PEOPLE_HEAD, part.people, [5.5, 3.5, 3.5, 3])
    if part.checkins:
        doc.add_paragraph("Laporan bulanan lewat WhatsApp sesudah program:")
        table(CHECKIN_HEAD, part.checkins)
    for chart in part.charts:
        picture = doc.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture.add_run().add_picture(io.BytesIO(chart.png), width=Cm(13))
        picture.paragraph_format.keep_with_next = True
        doc.add_paragraph(chart.label, style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER
