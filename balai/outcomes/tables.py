"""The board as tables: CSV one per table, XLSX with a sheet per table and a data
dictionary, and the JSON API's rows. Exports carry participant codes, never names or
phone numbers: a BI tool needs to tell people apart, not to know who they are.
"""

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from balai.outcomes import indicators as ind


@dataclass(frozen=True)
class Column:
    key: str
    kind: str  # "text", "number", "month"
    meaning: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: object  # Board -> iterable of tuples, in column order

    def build(self, board) -> list[dict]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows(board)]


def _month(value: dt.date | None) -> str:
    return f"{value:%Y-%m}" if value else ""


def _num(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        value = float(value)
    return int(value) if float(value).is_integer() else round(float(value), 2)


def _indicator_rows(board):
    for v in board.indicators:
        i = v.indicator
        yield (
            i.code, i.short, i.name, i.kind, v.theme, i.unit, i.direction,
            i.programme.code if i.programme else "", _num(v.baseline),
            _month(v.baseline_window[0]) if v.baseline_window else "",
            _month(v.baseline_window[1]) if v.baseline_window else "",
            "dihitung" if v.baseline_computed else ("diisi" if v.baseline is not None else ""),
            _num(v.target.value) if v.target is not None else None,
            _month(v.target.period) if v.target is not None else "",
            _num(v.target_actual), v.status, _num(v.result.value), v.result.n,
            _month(v.window[0]) if v.window else "", _month(v.window[1]) if v.window else "",
        )  # fmt: skip


def _period_rows(board):
    for v in board.indicators:
        for p in v.periods:
            yield (v.code, v.indicator.name, _month(p.month), _num(p.target), _num(p.actual))


def _breakdown_rows(board):
    for v in board.indicators:
        for dim, items in v.breakdown.items():
            for group, value, n in items:
                yield (v.code, v.indicator.name, dim, group, _num(value), n)


def _sales_month_rows(board):
    s = board.sales
    for m in s.months:
        yield (
            _month(m), s.totals[m], s.n, _num(s.per_person(s.totals[m])), s.selling[m],
            "baseline" if s.baseline[0] <= m <= s.baseline[1]
            else "pembanding" if s.window and s.window[0] <= m <= s.window[1] else "",
        )  # fmt: skip


def _sales_people_rows(board):
    for row in board.sales.people:
        p = row.person
        yield (
            p.code, p.gender, p.age, p.dusun, p.commodity, row.baseline, row.now,
            _num(row.change), _month(p.listed_since),
        )  # fmt: skip


def _score_rows(board):
    for pair in board.pre_post:
        for row in pair.rows:
            yield (row.participant.code, pair.pre.title, pair.post.title, row.pre, row.post,
                   row.change)  # fmt: skip


def _question_rows(board):
    for pair in board.pre_post:
        for q in pair.questions:
            yield (pair.pre.title, pair.post.title, q.text, q.pre, q.post, q.change)


def _funnel_rows(board):
    for n, (stage, count) in enumerate(board.funnel.stages, 1):
        yield (n, stage, count)


def _checkin_rows(board):
    for month, sent, answered in board.checkins:
        yield (_month(month), sent, answered, _num(ind.pct(answered, sent)))


C = Column
TABLES = {
    t.name: t
    for t in [
        TableSpec(
            "indikator", "Indikator", "Setiap indikator dengan baseline, target, dan capaian.",
            (
                C("id", "text", "Kode unik indikator di Balai."),
                C("kode", "text", "Kode indikator dari kerangka program (boleh kosong)."),
                C("nama", "text", "Nama indikator."),
                C("jenis", "text", "Jenis: indikator siap pakai (dihitung Balai) atau manual."),
                C("tema", "text", "Kelompok: pemahaman, penjualan, kehadiran digital, "
                  "partisipasi, pendampingan lanjutan, atau manual."),
                C("satuan", "text", "Satuan nilai (%, Rp, poin, klik, konten, …)."),
                C("arah", "text", "higher = makin tinggi makin baik; lower = sebaliknya."),
                C("program", "text", "Kode program; kosong = indikator tingkat desa."),
                C("baseline", "number", "Nilai baseline."),
                C("baseline_dari", "month", "Bulan pertama periode baseline (YYYY-MM)."),
                C("baseline_sampai", "month", "Bulan terakhir periode baseline (YYYY-MM)."),
                C("baseline_sumber", "text", "diisi = diisi pendamping; dihitung = dihitung "
                  "Balai dari data bulan-bulan baseline."),
                C("target", "number", "Target yang dibandingkan: yang terakhir jatuh tempo, "
                  "atau yang pertama bila belum ada."),
                C("target_bulan", "month", "Bulan target itu."),
                C("capaian_bulan_target", "number", "Capaian pada bulan target (indikator "
                  "bulanan) atau capaian saat ini (indikator lain)."),
                C("status", "text", "Tercapai / Belum tercapai; kosong bila belum bisa dinilai."),
                C("capaian", "number", "Capaian saat ini: untuk indikator bulanan, rata-rata "
                  "per bulan pada periode pembanding."),
                C("n", "number", "Jumlah peserta (atau catatan) yang dihitung."),
                C("pembanding_dari", "month", "Bulan pertama periode pembanding."),
                C("pembanding_sampai", "month", "Bulan terakhir periode pembanding."),
            ),
            _indicator_rows,
        ),
        TableSpec(
            "nilai_bulanan", "Target dan capaian per bulan", "Satu baris per indikator dan bulan.",
            (
                C("indikator", "text", "Kode unik indikator."),
                C("nama", "text", "Nama indikator."),
                C("bulan", "month", "Bulan (YYYY-MM)."),
                C("target", "number", "Target bulan itu, bila ada."),
                C("capaian", "number", "Capaian bulan itu, bila ada."),
            ),
            _period_rows,
        ),
        TableSpec(
            "rincian", "Rincian per kelompok", "Capaian saat ini per jenis kelamin, kelompok "
            "umur, komoditas, dan dusun.",
            (
                C("indikator", "text", "Kode unik indikator."),
                C("nama", "text", "Nama indikator."),
                C("rincian", "text", "gender, age, commodity, atau dusun."),
                C("kelompok", "text", "Kelompoknya, mis. Perempuan, 40–54, Kerajinan, Krajan."),
                C("capaian", "number", "Capaian indikator untuk kelompok ini."),
                C("n", "number", "Jumlah yang dihitung pada kelompok ini."),
            ),
            _breakdown_rows,
        ),
        TableSpec(
            "penjualan_bulanan", "Penjualan peserta per bulan", "Semua penjualan peserta yang "
            "bersedia, per bulan (termasuk laporan bulanan lewat WhatsApp).",
            (
                C("bulan", "month", "Bulan (YYYY-MM)."),
                C("jumlah_rp", "number", "Jumlah penjualan semua peserta (Rp)."),
                C("peserta", "number", "Peserta yang dihitung (yang bersedia)."),
                C("per_peserta_rp", "number", "Jumlah penjualan dibagi peserta (Rp)."),
                C("peserta_berjualan", "number", "Peserta yang mencatat penjualan bulan itu."),
                C("periode", "text", "baseline / pembanding / kosong."),
            ),
            _sales_month_rows,
        ),
        TableSpec(
            "penjualan_peserta", "Penjualan per peserta", "Rata-rata penjualan bulanan tiap "
            "peserta pada periode baseline dan periode pembanding.",
            (
                C("peserta", "text", "Kode peserta (tanpa nama)."),
                C("jenis_kelamin", "text", "Jenis kelamin."),
                C("kelompok_umur", "text", "Kelompok umur."),
                C("dusun", "text", "Dusun."),
                C("komoditas", "text", "Kategori produk utama peserta di katalog."),
                C("baseline_rp", "number", "Rata-rata penjualan per bulan, periode baseline."),
                C("pembanding_rp", "number", "Rata-rata penjualan per bulan, periode pembanding."),
                C("perubahan_persen", "number", "Perubahan (%) dari baseline; kosong bila "
                  "baseline nol."),
                C("di_katalog_sejak", "month", "Bulan produk pertamanya tampil di katalog."),
            ),
            _sales_people_rows,
        ),
        TableSpec(
            "nilai_kuis", "Nilai pre-test dan post-test", "Nilai tiap peserta (0–100).",
            (
                C("peserta", "text", "Kode peserta (tanpa nama)."),
                C("pre_test", "text", "Judul pre-test."),
                C("post_test", "text", "Judul post-test."),
                C("nilai_pre", "number", "Nilai pre-test."),
                C("nilai_post", "number", "Nilai post-test."),
                C("perubahan", "number", "Nilai post dikurangi pre."),
            ),
            _score_rows,
        ),
        TableSpec(
            "soal", "Jawaban benar per soal", "Persen jawaban benar per soal, sebelum dan "
            "sesudah (hanya bila kedua kuis memakai soal yang sama).",
            (
                C("pre_test", "text", "Judul pre-test."),
                C("post_test", "text", "Judul post-test."),
                C("soal", "text", "Teks soal."),
                C("benar_pre_persen", "number", "Persen jawaban benar pada pre-test."),
                C("benar_post_persen", "number", "Persen jawaban benar pada post-test."),
                C("perubahan", "number", "Selisih persen (post − pre)."),
            ),
            _question_rows,
        ),
        TableSpec(
            "corong", "Corong peserta", "Berapa peserta sampai di tiap tahap; setiap tahap "
            "hanya menghitung yang juga melewati tahap sebelumnya.",
            (
                C("urutan", "number", "Urutan tahap."),
                C("tahap", "text", "Tahap."),
                C("peserta", "number", "Jumlah peserta."),
            ),
            _funnel_rows,
        ),
        TableSpec(
            "laporan_bulanan", "Laporan bulanan lewat WhatsApp", "Pertanyaan bulanan sesudah "
            "program dan jawabannya, per bulan yang dilaporkan.",
            (
                C("bulan", "month", "Bulan yang dilaporkan (YYYY-MM)."),
                C("ditanyakan", "number", "Peserta yang ditanya."),
                C("dijawab", "number", "Yang menjawab."),
                C("persen_dijawab", "number", "Persen yang menjawab."),
            ),
            _checkin_rows,
        ),
    ]
}  # fmt: skip


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value):
    """Typed text (an indicator's name, a question) that a spreadsheet would run as a
    formula gets a leading apostrophe; numbers are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(board, name: str) -> str:
    spec = TABLES[name]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.key for c in spec.columns])
    for row in spec.rows(board):
        writer.writerow(["" if value is None else _safe(value) for value in row])
    return out.getvalue()


def to_xlsx(board) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    bold = Font(bold=True)
    first = True
    for spec in TABLES.values():
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = spec.name[:31]
        sheet.append([c.key for c in spec.columns])
        for cell in sheet[1]:
            cell.font = bold
        for row in spec.rows(board):
            sheet.append([_safe(value) for value in row])
        sheet.freeze_panes = "A2"
        for col, column in zip(sheet.iter_cols(min_row=1, max_row=1), spec.columns, strict=True):
            width = max(len(column.key), 10 if column.kind != "text" else 18)
            sheet.column_dimensions[col[0].column_letter].width = min(width + 2, 40)
    guide = book.create_sheet("kamus_data")
    guide.append(["tabel", "kolom", "jenis", "arti"])
    for cell in guide[1]:
        cell.font = bold
    for spec in TABLES.values():
        guide.append([spec.name, "", "", f"{spec.title}. {spec.description}"])
        for column in spec.columns:
            guide.append([spec.name, column.key, column.kind, column.meaning])
    guide.append([])
    note = (
        f"Dibuat Balai untuk {board.title}; data sampai {board.facts.today:%Y-%m-%d}. "
        "Peserta yang mengundurkan diri tidak dihitung."
    )
    guide.append(["(umum)", "", "", note])
    for letter, width in zip("ABCD", (20, 24, 10, 90), strict=True):
        guide.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def dictionary() -> list[dict]:
    return [
        {
            "table": spec.name,
            "title": spec.title,
            "description": spec.description,
            "columns": [
                {"name": c.key, "type": c.kind, "meaning": c.meaning} for c in spec.columns
            ],
        }
        for spec in TABLES.values()
    ]
