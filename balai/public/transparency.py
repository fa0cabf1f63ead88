"""The public transparency board: how well the village serves, in counts and durations only.

Counted over the last 12 months in the village's time zone, the current month included.
Each request or complaint belongs to the month it was *received*, so all the numbers in one
row are about the same requests (and a past month's "completed" can still grow while its
last requests are finished).

- Letters, per letter type and month: ``received``; ``completed`` (the letter is issued:
  delivered, or ready and waiting for pickup; rejected and cancelled requests are not
  completed); ``median_days`` from submission to the letter being issued (calendar days);
  ``on_time_pct``, the share of completed letters issued no later than the promised date
  (``LetterRequest.due_date``, working days counted at submission).
- Complaints and suggestions, per category and month: ``received`` (a duplicate merged into
  another report is not counted twice); ``resolved_pct``, the share resolved (resolved, or
  closed after the resident's "sudah beres"); ``median_days`` from submission to resolution.

The board (the cached value, and the body of the JSON export)::

    {"generated_at": "2026-03-14T10:02:00+08:00", "time_zone": "Asia/Makassar",
     "months": ["2025-04", …, "2026-03"],
     "suppression": {"threshold": 5, "rule": "…"},
     "letters": {"total": T, "by_month": [M, …],
                 "services": [{"name", "slug", "promised_days", "total": T, "months": [M, …]}]},
     "complaints": {"total": T, "by_month": [M, …],
                    "categories": [{"name", "slug", "total": T, "months": [M, …]}]}}

``M`` is ``{"month": "2026-03", <metric>: cell, …}`` and ``T`` is ``{<metric>: cell, …}``.
A cell is ``{"value": number or null, "suppressed": bool}``; ``value`` null with
``suppressed`` false means there is nothing to measure (a median of no letters). Totals
(``T``, and ``by_month``: all services or categories in one month) add up only the cells
shown, and carry ``"partial": true`` when a hidden cell was left out. The JSON export adds
``village`` (name, slug, region, page URL) and ``definitions`` (each metric in Indonesian).
"""

import csv
import datetime as dt
import io
import statistics
import threading
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from django.core.cache import cache
from django.db import NotSupportedError
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from balai.complaints.models import Category, Complaint, ComplaintState
from balai.letters.models import LetterRequest, LetterType, RequestState

# Small counts are not published. In a village of a few thousand people, "2 death
# certificates in March" or "1 complaint about social aid" can point at a household the
# neighbours know. 5 is a threshold official statistics commonly use for such cells. Zero is
# shown: it is about nobody. Medians and shares over fewer than 5 letters or complaints are
# hidden too, since they describe those few people.
THRESHOLD = 5
# Totals (a service over 12 months, a month over all services, the headline) add up only
# the cells that are shown, and their medians and shares use only those cells' requests: a
# total that counted a hidden cell would give it away by subtraction.
SUPPRESSION_RULE = (
    f"Angka dari 1 sampai {THRESHOLD - 1} permohonan atau pengaduan tidak ditampilkan, begitu "
    f"pula median dan persentase yang dihitung dari kurang dari {THRESHOLD}. Jumlah hanya "
    "menghitung angka yang ditampilkan."
)

# What each number means, for the JSON export (the page says the same in its legend).
DEFINITIONS = {
    "received": "Permohonan atau pengaduan yang diterima pada bulan itu.",
    "completed": "Dari permohonan bulan itu, yang suratnya sudah jadi (dikirim atau tinggal "
    "diambil); yang ditolak atau dibatalkan tidak dihitung.",
    "median_days": "Median lama dari pengajuan sampai surat jadi (atau pengaduan selesai "
    "ditangani), dalam hari kalender.",
    "on_time_pct": "Persen surat yang selesai paling lambat pada tanggal yang dijanjikan, "
    "dari surat yang sudah selesai.",
    "resolved_pct": "Persen pengaduan dan aspirasi bulan itu yang sudah selesai ditangani.",
    "suppressed": f"Tidak ditampilkan karena dihitung dari kurang dari {THRESHOLD} permohonan "
    "atau pengaduan.",
    "partial": "Jumlah ini tidak memuat angka yang tidak ditampilkan.",
}

MONTHS = 12
# A public page must not become a way to load the database: the board is computed at most
# once per village per CACHE_SECONDS (per worker set sharing the cache), whatever the traffic.
CACHE_SECONDS = 5 * 60
CACHE_VERSION = 1  # bump when the board's shape changes, so old entries are not read
LOCK_SECONDS = 60  # longer than any computation; a crashed one frees the lock by then

DONE_STATES = [RequestState.READY, RequestState.COMPLETED]
RESOLVED_STATES = [ComplaintState.RESOLVED, ComplaintState.CLOSED]

MONTH_NAMES = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip
MONTH_SHORT = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
]  # fmt: skip


# --- months --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    key: str  # "2026-03"
    start: dt.datetime  # aware, midnight on the 1st in the village's time zone
    end: dt.datetime


def last_months(village, now: dt.datetime, count: int = MONTHS) -> list[Month]:
    """The last ``count`` calendar months in the village's time zone, oldest first."""
    tz = village.tz
    local = now.astimezone(tz)
    current = local.year * 12 + local.month - 1
    firsts = [
        dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=tz)
        for index in range(current - count + 1, current + 2)
    ]
    return [Month(f"{start.year}-{start.month:02d}", start, end) for start, end in pairwise(firsts)]


def month_label(key: str, short: bool = False) -> str:
    year, month = (int(part) for part in key.split("-"))
    names = MONTH_SHORT if short else MONTH_NAMES
    return f"{names[month - 1]} {year}"


def _month_index(field: str, months: list[Month]) -> Case:
    """Which of ``months`` a timestamp falls in (0 = oldest), as SQL: comparisons with the
    months' UTC boundaries, so the database needs no time-zone support and the
    ``(village, state, submitted_at)`` index still serves the range."""
    return Case(
        *[When(**{f"{field}__lt": m.end}, then=Value(i)) for i, m in enumerate(months)],
        output_field=IntegerField(),
    )


# --- SQL expressions (PostgreSQL and SQLite) -------------------------------------------------


class DaysBetween(Func):
    """``end - start`` in days (a float), computed by the database."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"DaysBetween is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        start, end, params = self._compiled(compiler)
        return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)::float8", params

    def as_sqlite(self, compiler, connection, **extra):
        start, end, params = self._compiled(compiler)
        return f"(julianday({end}) - julianday({start}))", params

    def _compiled(self, compiler):
        start, start_params = compiler.compile(self.source_expressions[0])
        end, end_params = compiler.compile(self.source_expressions[1])
        return start, end, (*end_params, *start_params)  # ``end`` comes first in the SQL


class DoneByDate(Func):
    """True when the timestamp ``at`` falls on or before the local date ``day`` in ``tz``:
    the letter was ready by the end of the promised day."""

    output_field = BooleanField()
    arity = 2

    def __init__(self, at, day, *, tz, **extra):
        self.tz = tz
        super().__init__(at, day, **extra)

    def as_sql(self, compiler, connection, **extra):
        raise NotSupportedError(f"DoneByDate is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra):
        at, day, params = self._compiled(compiler)
        sql = f"({at} < (({day} + 1)::timestamp AT TIME ZONE %s))"
        return sql, (*params, self.tz.key)

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite knows no time zones; Indonesia's (WIB, WITA, WIT) have had a fixed offset
        # since 1964, so the offset of today is the offset of every date on the board.
        offset = int(self.tz.utcoffset(dt.datetime(2000, 1, 1)).total_seconds())
        at, day, params = self._compiled(compiler)
        sql = f"(julianday({at}) < julianday({day}, '+1 day', %s))"
        return sql, (*params, f"{-offset} seconds")

    def _compiled(self, compiler):
        at, at_params = compiler.compile(self.source_expressions[0])
        day, day_params = compiler.compile(self.source_expressions[1])
        return at, day, (*at_params, *day_params)


# --- queries ---------------------------------------------------------------------------------


def _window(months: list[Month]) -> dict:
    return {"submitted_at__gte": months[0].start, "submitted_at__lt": months[-1].end}


def letter_items(village, months: list[Month]):
    """The requests received in ``months``, annotated with ``row`` (their letter type) and
    ``month`` (index); and those of them that are done, with ``days`` to done and ``flag``
    (done on time).

    A letter is done when it is issued (``IssuedLetter.issued_at``), even if it still waits
    for pickup; requests finished without an issued letter (older data, the bench) use
    ``completed_at``. Rejected and cancelled requests are never done."""
    received = (
        LetterRequest.objects.filter(village=village, **_window(months))
        .order_by()
        .annotate(row=F("letter_type_id"), month=_month_index("submitted_at", months))
    )
    done = (
        received.filter(state__in=DONE_STATES)
        .annotate(done_at=Coalesce("issued__issued_at", "completed_at"))
        .filter(done_at__isnull=False)
        .annotate(
            days=DaysBetween("submitted_at", "done_at"),
            flag=DoneByDate(F("done_at"), F("due_date"), tz=village.tz),
        )
    )
    return received, done


def complaint_items(village, months: list[Month]):
    """The complaints and suggestions received in ``months`` (``row``: their category), and
    the resolved ones with ``days`` to resolution (no ``flag``). A duplicate merged into
    another report is the same problem: counted once."""
    received = (
        Complaint.objects.filter(village=village, duplicate_of__isnull=True, **_window(months))
        .order_by()
        .annotate(row=F("category_id"), month=_month_index("submitted_at", months))
    )
    done = received.filter(state__in=RESOLVED_STATES, resolved_at__isnull=False).annotate(
        days=DaysBetween("submitted_at", "resolved_at"),
        flag=Value(None, output_field=BooleanField()),
    )
    return received, done


@dataclass
class Stats:
    """One cell (all its items), or one total (only the items of the cells that are shown:
    see THRESHOLD)."""

    received: int = 0
    done: int = 0  # completed letters, resolved complaints
    flagged: int = 0  # of those: letters done on time
    median: float | None = None  # days to done, over the ``done`` items
    done_of_received: int = 0  # totals: the done among ``received`` (a resolution rate)
    partial_received: bool = False  # totals: a hidden count of received was left out
    partial_done: bool = False  # totals: a hidden count of done was left out


@dataclass
class Aggregates:
    cells: dict  # (row, month) → Stats
    rows: dict  # row → Stats over its months
    months: dict  # month → Stats over all rows
    everything: Stats


def aggregate(received, done) -> Aggregates:
    """Counts, on-time counts and medians per (row, month), per row, per month and overall,
    from the querysets of ``letter_items`` or ``complaint_items``.

    Two queries: the counts grouped in the database, and the durations of the done items
    (a median needs them all). Computing the medians in SQL instead (percentile_cont with
    GROUPING SETS on PostgreSQL) gave the same numbers but was no faster at 200,000
    requests, so there is one portable path."""
    counts = received.values_list("row", "month").annotate(n=Count("pk"))
    cells = {(row, month): Stats(received=n) for row, month, n in counts}
    days = defaultdict(list)
    for row, month, d, flag in done.values_list("row", "month", "days", "flag"):
        days[(row, month)].append(d)
        cells[(row, month)].flagged += bool(flag)
    for key, values in days.items():
        cells[key].done = len(values)
        cells[key].median = statistics.median(values)

    def total(keys) -> Stats:
        shown_received = [cells[k] for k in keys if cells[k].received >= THRESHOLD]
        shown_done = [k for k in keys if cells[k].done >= THRESHOLD]
        pooled = [d for k in shown_done for d in days[k]]
        return Stats(
            received=sum(c.received for c in shown_received),
            done=len(pooled),
            flagged=sum(cells[k].flagged for k in shown_done),
            median=statistics.median(pooled) if pooled else None,
            done_of_received=sum(c.done for c in shown_received),
            partial_received=any(cells[k].received < THRESHOLD for k in keys),
            partial_done=any(0 < cells[k].done < THRESHOLD for k in keys),
        )

    by_row, by_month = defaultdict(list), defaultdict(list)
    for key in cells:
        by_row[key[0]].append(key)
        by_month[key[1]].append(key)
    return Aggregates(
        cells,
        {row: total(keys) for row, keys in by_row.items()},
        {month: total(keys) for month, keys in by_month.items()},
        total(list(cells)),
    )


# --- cells -----------------------------------------------------------------------------------


def _cell(value, suppressed: bool = False) -> dict:
    return {"value": None if suppressed else value, "suppressed": suppressed}


def count_cell(n: int) -> dict:
    return _cell(n, 0 < n < THRESHOLD)


def stat_cell(n: int, compute) -> dict:
    """A median or share over ``n`` items: nothing to show for none, hidden for a few."""
    if not n:
        return _cell(None)
    if n < THRESHOLD:
        return _cell(None, suppressed=True)
    return _cell(compute())


def round_days(days: float) -> float:
    return round(max(0.0, days), 1)


def percent(part: int, whole: int) -> int:
    return int(100 * part / whole + 0.5)  # half up, as people round


def _total(value, partial: bool) -> dict:
    return {"value": value, "suppressed": False, "partial": partial}


def letter_cell(s: Stats) -> dict:
    return {
        "received": count_cell(s.received),
        "completed": count_cell(s.done),
        "median_days": stat_cell(s.done, lambda: round_days(s.median)),
        "on_time_pct": stat_cell(s.done, lambda: percent(s.flagged, s.done)),
    }


def letter_total(s: Stats) -> dict:
    return {
        "received": _total(s.received, s.partial_received),
        "completed": _total(s.done, s.partial_done),
        "median_days": _total(round_days(s.median) if s.done else None, s.partial_done),
        "on_time_pct": _total(percent(s.flagged, s.done) if s.done else None, s.partial_done),
    }


def complaint_cell(s: Stats) -> dict:
    return {
        "received": count_cell(s.received),
        # A share of the complaints received, so it is hidden when they are few.
        "resolved_pct": stat_cell(s.received, lambda: percent(s.done, s.received)),
        "median_days": stat_cell(s.done, lambda: round_days(s.median)),
    }


def complaint_total(s: Stats) -> dict:
    rate = percent(s.done_of_received, s.received) if s.received else None
    return {
        "received": _total(s.received, s.partial_received),
        "resolved_pct": _total(rate, s.partial_received),
        "median_days": _total(round_days(s.median) if s.done else None, s.partial_done),
    }


# --- the board -------------------------------------------------------------------------------


def _section(rows, months, agg: Aggregates, make_cell, make_total, describe) -> dict:
    """Cells per (row, month), each row's total, each month's total over all rows, and the
    grand total; ``rows`` are model rows, ``describe`` gives their public fields."""
    return {
        "total": make_total(agg.everything),
        "by_month": [
            {"month": m.key, **make_total(agg.months.get(i, Stats()))} for i, m in enumerate(months)
        ],
        "rows": [
            {
                **describe(row),
                "total": make_total(agg.rows.get(row["id"], Stats())),
                "months": [
                    {"month": m.key, **make_cell(agg.cells.get((row["id"], i), Stats()))}
                    for i, m in enumerate(months)
                ],
            }
            for row in rows
        ],
    }


def _shown(rows, agg: Aggregates) -> list:
    """Active rows, and inactive ones that still have numbers in these months."""
    return [row for row in rows if row["is_active"] or row["id"] in agg.rows]


def compute_board(village, now: dt.datetime | None = None) -> dict:
    """The board from the database in six queries, whatever the volume: for letters and for
    complaints, the rows (types, categories) and two for the numbers (see ``aggregate``)."""
    now = now or timezone.now()
    months = last_months(village, now)

    agg = aggregate(*letter_items(village, months))
    types = LetterType.objects.filter(village=village).order_by("position", "pk")
    letters = _section(
        _shown(types.values("id", "name", "slug", "days", "is_active"), agg),
        months,
        agg,
        letter_cell,
        letter_total,
        lambda t: {"name": t["name"], "slug": t["slug"], "promised_days": t["days"]},
    )
    letters["services"] = letters.pop("rows")

    agg = aggregate(*complaint_items(village, months))
    categories = Category.objects.filter(village=village).order_by("position", "pk")
    complaints = _section(
        _shown(categories.values("id", "name", "slug", "is_active"), agg),
        months,
        agg,
        complaint_cell,
        complaint_total,
        lambda c: {"name": c["name"], "slug": c["slug"]},
    )
    complaints["categories"] = complaints.pop("rows")

    return {
        "generated_at": now.astimezone(village.tz).isoformat(timespec="seconds"),
        "time_zone": village.timezone,
        "months": [m.key for m in months],
        "suppression": {"threshold": THRESHOLD, "rule": SUPPRESSION_RULE},
        "letters": letters,
        "complaints": complaints,
    }


def cache_key(village, now: dt.datetime) -> str:
    # The month is in the key so a board computed just before midnight on the last day of
    # a month is not served with the old twelve months after it.
    month = now.astimezone(village.tz).strftime("%Y-%m")
    return f"transparency:{CACHE_VERSION}:{village.pk}:{month}"


def get_board(village, now: dt.datetime | None = None) -> dict:
    """The board, computed at most once per CACHE_SECONDS per village.

    Entries are kept three times as long as they are fresh: when one goes stale, the request
    that takes the lock computes the board again while the others serve the stale copy, so
    a burst of visits at the moment of expiry costs one computation, not one each."""
    now = now or timezone.now()
    key = cache_key(village, now)
    entry = cache.get(key)  # (fresh until, board)
    if entry is not None:
        fresh_until, board = entry
        if now.timestamp() < fresh_until or not cache.add(f"{key}:lock", 1, LOCK_SECONDS):
            return board
    board = compute_board(village, now)
    cache.set(key, (now.timestamp() + CACHE_SECONDS, board), 3 * CACHE_SECONDS)
    if entry is not None:
        cache.delete(f"{key}:lock")
    return board


def forget(village, now: dt.datetime | None = None) -> None:
    """Drop the cached board (and its charts) so the next view computes it again."""
    key = cache_key(village, now or timezone.now())
    cache.delete_many([key, *(f"{key}:chart:{name}" for name in CHARTS)])


def is_empty(section: dict) -> bool:
    total = section["total"]["received"]
    return not total["value"] and not total["partial"]


# --- text for the page -----------------------------------------------------------------------


def fmt_number(value) -> str:
    """Indonesian style: 1.234 and 2,5."""
    if isinstance(value, float):
        whole, _, decimals = f"{value:,.1f}".partition(".")
        return f"{whole.replace(',', '.')},{decimals}"
    return f"{value:,}".replace(",", ".")


def cell_text(cell: dict, unit: str = "") -> str:
    """``<5`` for a hidden count, ``–`` for a hidden or empty median or share (a "<5" there
    would read as "under 5 days"), and a star on totals that leave hidden cells out."""
    if cell["suppressed"]:
        return f"<{THRESHOLD}" if unit == "count" else "–"
    value = cell["value"]
    if value is None or (cell.get("partial") and not value):
        text = "–"  # a total of nothing shown is not a zero
    else:
        text = fmt_number(value) + ("%" if unit == "pct" else "")
    return text + "*" if cell.get("partial") else text


LETTER_UNITS = {"received": "count", "completed": "count", "median_days": "", "on_time_pct": "pct"}
COMPLAINT_UNITS = {"received": "count", "resolved_pct": "pct", "median_days": ""}


def _texts(cells: dict, units: dict) -> dict:
    """Each metric's text by name, and ``cells``, all of them in column order (the tables
    loop over it: a template include per row made the page several times slower)."""
    texts = {metric: cell_text(cells[metric], unit) for metric, unit in units.items()}
    return {**texts, "cells": list(texts.values())}


def page_context(board: dict) -> dict:
    """What the template shows: the board's numbers as text."""
    letters, complaints = board["letters"], board["complaints"]

    def months(rows, units):
        # Short month names keep four numbers and the month on one line at 360 px.
        return [{"label": month_label(m["month"], short=True), **_texts(m, units)} for m in rows]

    def rows(items, units):
        return [
            {
                "name": row["name"],
                "promised_days": row.get("promised_days"),
                "total": _texts(row["total"], units),
                "months": months(row["months"], units),
            }
            for row in items
        ]

    generated = dt.datetime.fromisoformat(board["generated_at"])
    return {
        "og_description": og_description(board),
        "period": f"{month_label(board['months'][0])} – {month_label(board['months'][-1])}",
        "generated": (
            f"{generated.day} {MONTH_NAMES[generated.month - 1]} {generated.year} "
            f"pukul {generated:%H.%M}"
        ),
        "refresh_minutes": CACHE_SECONDS // 60,
        "threshold": board["suppression"]["threshold"],
        "letters_empty": is_empty(letters),
        "complaints_empty": is_empty(complaints),
        "letters": {
            "total": _texts(letters["total"], LETTER_UNITS),
            "by_month": months(letters["by_month"], LETTER_UNITS),
            "services": rows(letters["services"], LETTER_UNITS),
        },
        "complaints": {
            "total": _texts(complaints["total"], COMPLAINT_UNITS),
            "by_month": months(complaints["by_month"], COMPLAINT_UNITS),
            "categories": rows(complaints["categories"], COMPLAINT_UNITS),
        },
    }


def og_description(board: dict) -> str:
    """The line a shared link shows on WhatsApp or Facebook: plain numbers, no table marks."""
    parts = []
    for section, noun, share, verb in [
        ("letters", "permohonan surat", "on_time_pct", "selesai tepat waktu"),
        ("complaints", "pengaduan dan aspirasi", "resolved_pct", "ditangani"),
    ]:
        total = board[section]["total"]
        received = total["received"]
        if not received["value"]:
            continue  # none, or only hidden small numbers
        at_least = "sedikitnya " if received["partial"] else ""
        text = f"{at_least}{fmt_number(received['value'])} {noun}"
        if total[share]["value"] is not None:
            text += f", {total[share]['value']}% {verb}"
        parts.append(text)
    if not parts:  # nothing yet, or only numbers too small to show
        return "Berapa permohonan surat dan pengaduan yang masuk, selesai, dan tepat waktu."
    return "12 bulan terakhir: " + "; ".join(parts) + "."


# --- CSV -------------------------------------------------------------------------------------

CSV_HEADER = [
    "Bagian",
    "Layanan/kategori",
    "Bulan",
    "Masuk",
    "Selesai",
    "Median hari",
    "Selesai tepat waktu (%)",
    "Ditangani (%)",
    "Tidak ditampilkan (kurang dari 5)",
]
CSV_COLUMNS = {  # CSV header → board metric, per section
    "letters": {
        "Masuk": "received",
        "Selesai": "completed",
        "Median hari": "median_days",
        "Selesai tepat waktu (%)": "on_time_pct",
    },
    "complaints": {
        "Masuk": "received",
        "Median hari": "median_days",
        "Ditangani (%)": "resolved_pct",
    },
}


def to_csv(board: dict) -> str:
    """One row per service × month and category × month. Hidden cells are empty, and the
    last column names them, so an empty cell is never mistaken for "not applicable".
    Numbers use a decimal point, as CSV readers expect."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    sections = [
        ("letters", "Permohonan surat", board["letters"]["services"]),
        ("complaints", "Pengaduan dan aspirasi", board["complaints"]["categories"]),
    ]
    for section, label, rows in sections:
        columns = CSV_COLUMNS[section]
        for row in rows:
            for month in row["months"]:
                values, hidden = [], []
                for header in CSV_HEADER[3:-1]:
                    metric = columns.get(header)
                    cell = month[metric] if metric else _cell(None)
                    values.append("" if cell["value"] is None else cell["value"])
                    if cell["suppressed"]:
                        hidden.append(header.lower())
                writer.writerow([label, row["name"], month["month"], *values, "; ".join(hidden)])
    return out.getvalue()


# --- charts ----------------------------------------------------------------------------------

CHARTS = {
    "permohonan": "Permohonan surat masuk dan selesai per bulan",
    "tepat-waktu": "Surat selesai tepat waktu per bulan",
    "pengaduan": "Pengaduan dan aspirasi per kategori",
}
CHART_SIZE = (480, 300)  # px, also the <img> width and height on the page
_RC = {
    "svg.fonttype": "none",  # text stays text: small, searchable, read by screen readers
    "svg.hashsalt": "balai",  # stable ids, so the same numbers give the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial"],
    "font.size": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#5d6b64",
    "axes.labelcolor": "#1d2521",
    "text.color": "#1d2521",
    "xtick.color": "#5d6b64",
    "ytick.color": "#5d6b64",
}
INK, BRAND, PALE = "#1d2521", "#0b6e4f", "#9fc9b6"
# rcParams are process-wide; one chart at a time keeps one request's settings from leaking
# into another's drawing (charts are cached, so this lock is rarely waited on).
_chart_lock = threading.Lock()


def get_chart(village, name: str, board: dict) -> bytes:
    """The chart as SVG bytes, cached beside the board it was drawn from."""
    key = f"{cache_key(village, dt.datetime.fromisoformat(board['generated_at']))}:chart:{name}"
    stamp = board["generated_at"]
    cached = cache.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    svg = render_chart(name, board)
    cache.set(key, (stamp, svg), CACHE_SECONDS)
    return svg


def render_chart(name: str, board: dict) -> bytes:
    if name not in CHARTS:
        raise KeyError(name)
    import matplotlib
    from matplotlib.figure import Figure

    with _chart_lock, matplotlib.rc_context(_RC):
        figure = Figure(figsize=(CHART_SIZE[0] / 100, CHART_SIZE[1] / 100), dpi=100)
        axes = figure.add_subplot()
        {"permohonan": _draw_letters, "tepat-waktu": _draw_on_time, "pengaduan": _draw_complaints}[
            name
        ](axes, board)
        figure.suptitle(CHARTS[name], x=0.01, ha="left", fontsize=12, fontweight="bold")
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def _value(cell: dict) -> float:
    return cell["value"] or 0


def _nothing(axes) -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, "Belum ada data", ha="center", va="center", color="#5d6b64")


def _month_ticks(axes, board: dict) -> None:
    keys = board["months"]
    labels = [
        f"{MONTH_SHORT[int(k[5:]) - 1]}\n{k[:4]}"
        if i == 0 or k.endswith("-01")
        else MONTH_SHORT[int(k[5:]) - 1]
        for i, k in enumerate(keys)
    ]
    axes.set_xticks(range(len(keys)), labels, fontsize=9)


def _draw_letters(axes, board: dict) -> None:
    rows = board["letters"]["by_month"]
    if is_empty(board["letters"]):
        return _nothing(axes)
    xs = range(len(rows))
    axes.bar(
        [x - 0.2 for x in xs], [_value(r["received"]) for r in rows], 0.4, color=PALE, label="Masuk"
    )
    axes.bar(
        [x + 0.2 for x in xs],
        [_value(r["completed"]) for r in rows],
        0.4,
        color=BRAND,
        label="Selesai",
    )
    _month_ticks(axes, board)
    axes.set_ylabel("permohonan")
    axes.yaxis.get_major_locator().set_params(integer=True)
    # Above the plot, so it never covers a bar.
    axes.legend(frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2, fontsize=10)


def _draw_on_time(axes, board: dict) -> None:
    rows = board["letters"]["by_month"]
    if is_empty(board["letters"]):
        return _nothing(axes)
    xs = range(len(rows))
    values = [r["on_time_pct"]["value"] for r in rows]
    axes.bar(xs, [v or 0 for v in values], 0.6, color=BRAND)
    for x, v in zip(xs, values, strict=True):
        axes.text(
            x, (v or 0) + 2, "–" if v is None else f"{v}%", ha="center", va="bottom", fontsize=8
        )
    _month_ticks(axes, board)
    axes.set_ylim(0, 112)
    axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.set_ylabel("selesai tepat waktu")


def _draw_complaints(axes, board: dict) -> None:
    rows = board["complaints"]["categories"]
    if is_empty(board["complaints"]):
        return _nothing(axes)
    ys = range(len(rows))
    received = [_value(r["total"]["received"]) for r in rows]
    axes.barh(ys, received, 0.6, color=PALE)
    for y, row, n in zip(ys, rows, received, strict=True):
        label = cell_text(row["total"]["received"], "count")
        pct = row["total"]["resolved_pct"]["value"]
        if pct is not None:
            label += f" · {pct}%"
        axes.text(n, y, f" {label}", va="center", fontsize=10)
    axes.set_yticks(list(ys), [r["name"] for r in rows])
    axes.invert_yaxis()
    axes.set_xlabel("masuk (12 bulan) · % ditangani")
    axes.set_xlim(0, max(received) * 1.45 or 1)
    axes.xaxis.get_major_locator().set_params(integer=True)
