"""The dashboard page's sections: each a chart (SVG data URI) with its numbers as a table
beside it, built from a ``Board`` so the template only lays them out."""

from dataclasses import dataclass, field

from balai.outcomes import charts
from balai.outcomes.board import Board, fmt, month_label, window_label
from balai.outcomes.indicators import pct


@dataclass
class Section:
    id: str
    title: str
    intro: str
    head: list[str]
    rows: list[list[str]]
    chart: str = ""  # data: URI
    alt: str = ""
    notes: list[str] = field(default_factory=list)


def sections(board: Board, svgs: dict[str, bytes]) -> list[Section]:
    uri = {name: charts.data_uri(svg) for name, svg in svgs.items()}
    s = board.sales
    out = []
    stages = board.funnel.stages
    first = stages[0][1] if stages else 0
    out.append(
        Section(
            "corong", "Dari persetujuan sampai berjualan daring",
            "Setiap tahap hanya menghitung peserta yang juga melewati tahap sebelumnya.",
            ["Tahap", "Peserta", "Dari yang diminta"],
            [[label, str(n), fmt(pct(n, first), "%")] for label, n in stages],
            uri["funnel"], "Grafik corong peserta. Angkanya ada di tabel.",
        )
    )  # fmt: skip
    phase = {}
    for m in s.months:
        if s.baseline[0] <= m <= s.baseline[1]:
            phase[m] = "baseline"
        elif s.window and s.window[0] <= m <= s.window[1]:
            phase[m] = "pembanding"
    rows = [
        [month_label(m), fmt(s.totals[m], "Rp"), fmt(s.per_person(s.totals[m]), "Rp"),
         str(s.selling[m]), phase.get(m, "")]
        for m in s.months
    ]  # fmt: skip
    out.append(
        Section(
            "penjualan", "Penjualan peserta per bulan",
            f"Semua penjualan {s.n} peserta yang bersedia, termasuk laporan bulanan lewat "
            f"WhatsApp. Baseline: {window_label(s.baseline)}, rata-rata "
            f"{fmt(round(s.baseline_total), 'Rp')} per bulan. Pembanding: "
            f"{window_label(s.window)}"
            + (f", rata-rata {fmt(round(s.window_total), 'Rp')} per bulan." if s.window else
               " (belum ada bulan penuh sesudah baseline)."),
            ["Bulan", "Jumlah", "Per peserta", "Peserta berjualan", "Periode"], rows,
            uri["sales"],
            "Grafik batang penjualan per bulan dengan garis rata-rata baseline. "
            "Angkanya ada di tabel.",
        )
    )  # fmt: skip
    out.append(
        Section(
            "per-peserta", "Penjualan per peserta",
            "Rata-rata penjualan per bulan tiap peserta: periode baseline dan periode pembanding.",
            ["Peserta", "Komoditas", "Baseline/bulan", "Sekarang/bulan", "Perubahan"],
            [
                [r.person.name, r.person.commodity, fmt(r.baseline, "Rp"), fmt(r.now, "Rp"),
                 fmt(r.change, "%") if r.change is not None else ("baru" if r.now else "—")]
                for r in s.people
            ],
            uri["people"],
            "Grafik penjualan per peserta, baseline dan sekarang. Angkanya ada di tabel.",
        )
    )  # fmt: skip
    for n, pair in enumerate(board.pre_post, 1):
        intro = (
            f"{len(pair.paired)} peserta mengerjakan keduanya; rata-rata "
            f"{fmt(pair.pre_average)} → {fmt(pair.post_average)}"
            f" ({'+' if (pair.average_change or 0) > 0 else ''}{fmt(pair.average_change)} poin). "
            f"Lulus: {pair.passed_pre} → {pair.passed_post}."
        )
        if pair.questions:
            head = ["Soal", "Benar (pre)", "Benar (post)", "Perubahan"]
            rows = [
                [q.text, fmt(q.pre, "%"), fmt(q.post, "%"),
                 ("+" if (q.change or 0) > 0 else "") + fmt(q.change)]
                for q in pair.questions
            ]  # fmt: skip
        else:
            head = ["Nilai", "Pre-test", "Post-test"]
            pre = [r.score for r in pair.pre_results.finished]
            post = [r.score for r in pair.post_results.finished]
            rows = [
                [f"{lo}–{hi}", str(sum(lo <= x <= hi for x in pre)),
                 str(sum(lo <= x <= hi for x in post))]
                for lo, hi in charts.BANDS
            ]  # fmt: skip
        out.append(
            Section(
                f"nilai-{n}", f"{pair.pre.title} → {pair.post.title}", intro, head, rows,
                uri.get(f"scores{n}", ""),
                "Grafik sebaran nilai pre-test dan post-test. Angka per soal ada di tabel.",
                [] if pair.same_questions else
                ["Soal kedua kuis tidak sama, jadi perubahan per soal tidak dihitung."],
            )
        )  # fmt: skip
    if board.checkins:
        out.append(
            Section(
                "laporan-bulanan", "Laporan bulanan lewat WhatsApp",
                "Sesudah program, peserta ditanya penjualan bulanannya; jawabannya masuk ke "
                "angka penjualan di atas.",
                ["Bulan", "Ditanyakan", "Dijawab", "Persen dijawab"],
                [
                    [month_label(m), str(a), str(b), fmt(pct(b, a), "%")]
                    for m, a, b in board.checkins
                ],
            )
        )  # fmt: skip
    return out


def headline(board: Board) -> list[tuple[str, str, str]]:
    """The tiles: (value, what it is, the small print)."""
    from balai.outcomes.models import Kind

    h, s = board.headline, board.sales
    gain = h[Kind.SCORE_GAIN].value
    return [
        (str(len(board.facts.active)), "peserta bersedia",
         f"{board.facts.withdrawn} mengundurkan diri, tidak dihitung" if board.facts.withdrawn
         else ""),
        (fmt(h[Kind.POST_PASS].value, "%"), "lulus post-test",
         f"dari {h[Kind.POST_PASS].n} yang mengerjakan"),
        (("+" if (gain or 0) > 0 else "") + fmt(gain), "poin kenaikan nilai",
         f"{h[Kind.SCORE_GAIN].n} peserta pre dan post"),
        (fmt(s.per_person(s.window_total), "Rp"), "penjualan per peserta per bulan",
         f"baseline {fmt(s.per_person(s.baseline_total), 'Rp')}"),
        (fmt(h[Kind.SALES_ROSE].value, "%"), "peserta penjualannya naik", window_label(s.window)),
        (fmt(h[Kind.CATALOGUE].value, "%"), "peserta punya produk di katalog", ""),
    ]  # fmt: skip
