"""Server-rendered charts (matplotlib): SVG for pages, PNG for the programme report.

Drawn at 400×300 px with 12-pt text so that, scaled to a 360-px phone (about 330 px
wide), labels stay about 12 px high; every chart has its numbers in a table beside it on
the page. The house style and the process-wide lock come from the transparency board
(rcParams are global, so one chart at a time across both modules).
"""

import base64
import hashlib
import io

from balai.outcomes.board import MONTH_SHORT, Board, Funnel, Sales, fmt
from balai.public.transparency import _RC, BRAND, INK, PALE, _chart_lock

SIZE = (400, 300)
RC = {**_RC, "font.size": 12}
MUTED = "#5d6b64"
BANDS = [(0, 19), (20, 39), (40, 59), (60, 79), (80, 100)]


CACHE_SECONDS = 60 * 60


def render(draw, data, fmt_: str = "svg", title: str = "") -> bytes:
    """The chart, cached by what it is drawn from: the same numbers give the same file, so
    a dashboard opened again costs no drawing (its data is recomputed on every request)."""
    from django.core.cache import cache

    digest = hashlib.sha256(repr((draw.__name__, fmt_, title, SIZE, data)).encode()).hexdigest()
    key = f"outcomes:chart:{digest}"
    cached = cache.get(key)
    if cached is None:
        cached = _render(draw, data, fmt_, title)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def _render(draw, data, fmt_: str, title: str) -> bytes:
    import matplotlib
    from matplotlib.figure import Figure

    with _chart_lock, matplotlib.rc_context(RC):
        figure = Figure(figsize=(SIZE[0] / 100, SIZE[1] / 100), dpi=100)
        axes = figure.add_subplot()
        draw(axes, data)
        if title:
            figure.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")
        figure.tight_layout()
        out = io.BytesIO()
        if fmt_ == "png":
            figure.savefig(out, format="png", dpi=200, metadata={"Software": None})
        else:
            figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def data_uri(svg: bytes) -> str:
    """For ``<img src>``: the page's CSP allows data: images, and an SVG loaded as an image
    runs no scripts and fetches nothing."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _nothing(axes, text: str = "Belum ada data") -> None:
    axes.set_axis_off()
    axes.text(0.5, 0.5, text, ha="center", va="center", color=MUTED, transform=axes.transAxes)


def _rupiah_axis(axes, top: float) -> str:
    """Scale to ribu or juta so ticks stay short; returns the unit label."""
    if top >= 2_000_000:
        axes.yaxis.set_major_formatter(lambda v, _p: f"{v / 1e6:g}")
        return "juta Rp"
    axes.yaxis.set_major_formatter(lambda v, _p: f"{v / 1e3:g}")
    return "ribu Rp"


def _month_ticks(axes, months) -> None:
    step = max(1, len(months) // 8)
    labels = [
        (
            f"{MONTH_SHORT[m.month - 1]}\n{m.year}"
            if i == 0 or m.month == 1
            else MONTH_SHORT[m.month - 1]
        )
        if i % step == 0
        else ""
        for i, m in enumerate(months)
    ]
    axes.set_xticks(range(len(months)), labels, fontsize=10)


def draw_scores(axes, pair) -> None:
    pre = [r.score for r in pair.pre_results.finished]
    post = [r.score for r in pair.post_results.finished]
    if not pre and not post:
        return _nothing(axes, "Belum ada nilai")
    xs = range(len(BANDS))

    def counts(scores):
        return [sum(lo <= s <= hi for s in scores) for lo, hi in BANDS]

    axes.bar([x - 0.2 for x in xs], counts(pre), 0.4, color=PALE, label=f"Pre-test ({len(pre)})")
    axes.bar(
        [x + 0.2 for x in xs], counts(post), 0.4, color=BRAND, label=f"Post-test ({len(post)})"
    )
    axes.set_xticks(list(xs), [f"{lo}–{hi}" for lo, hi in BANDS], fontsize=10)
    axes.set_xlabel("nilai")
    axes.set_ylabel("peserta")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2, fontsize=10)


def draw_sales(axes, sales: Sales) -> None:
    months = sales.months
    values = [sales.totals[m] for m in months]
    if not any(values):
        return _nothing(axes, "Belum ada penjualan")
    xs = range(len(months))
    colours = [
        PALE if sales.baseline[0] <= m <= sales.baseline[1]
        else BRAND if sales.window and sales.window[0] <= m <= sales.window[1] else "#6fa58e"
        for m in months
    ]  # fmt: skip
    axes.bar(xs, values, 0.7, color=colours)
    axes.axhline(sales.baseline_total, color=INK, linestyle="--", linewidth=1.2)
    axes.text(
        len(months) - 0.5, sales.baseline_total, " rata-rata baseline", va="bottom", ha="right",
        fontsize=10, color=INK,
    )  # fmt: skip
    _month_ticks(axes, months)
    axes.set_ylabel(_rupiah_axis(axes, max(values)))
    axes.set_ylim(0, max(max(values), sales.baseline_total) * 1.15)


def draw_people(axes, sales: Sales) -> None:
    rows = [r for r in sales.people if r.baseline or r.now]
    if not rows or sales.window is None:
        return _nothing(axes, "Belum ada penjualan untuk dibandingkan")
    rows = rows[:12]
    ys = range(len(rows))
    for y, r in zip(ys, rows, strict=True):
        colour = BRAND if (r.now or 0) >= r.baseline else "#b42318"
        axes.plot([r.baseline, r.now or 0], [y, y], color=colour, linewidth=2, zorder=1)
    axes.scatter([r.baseline for r in rows], ys, color=PALE, s=40, zorder=2, label="Baseline")
    axes.scatter([r.now or 0 for r in rows], ys, color=BRAND, s=40, zorder=3, label="Sekarang")
    axes.set_yticks(list(ys), [_short(r.person.name) for r in rows], fontsize=10)
    axes.invert_yaxis()
    top = max(max(r.baseline, r.now or 0) for r in rows) or 1
    axes.xaxis.set_major_formatter(lambda v, _p: f"{v / 1e3:g}")
    axes.set_xlabel("ribu Rp per bulan")
    axes.set_xlim(0, top * 1.1)
    axes.legend(frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2, fontsize=10)


def _short(name: str, limit: int = 16) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def draw_funnel(axes, funnel: Funnel) -> None:
    stages = funnel.stages
    if not stages or not stages[0][1]:
        return _nothing(axes, "Belum ada peserta")
    ys = range(len(stages))
    counts = [n for _s, n in stages]
    axes.barh(ys, counts, 0.65, color=[BRAND if i else PALE for i in ys])
    for y, n in zip(ys, counts, strict=True):
        share = f" ({round(100 * n / counts[0])}%)" if y else ""
        axes.text(n, y, f" {n}{share}", va="center", fontsize=11)
    axes.set_yticks(list(ys), [s for s, _n in stages], fontsize=11)
    axes.invert_yaxis()
    axes.set_xlim(0, counts[0] * 1.6)
    axes.xaxis.set_visible(False)
    axes.spines["bottom"].set_visible(False)


def draw_villages(axes, lines: list[dict]) -> None:
    rows = [r for r in lines if r["sales_before"] is not None or r["sales_after"] is not None]
    if not rows:
        return _nothing(axes)
    rows = rows[:12]
    ys = range(len(rows))
    before = [r["sales_before"] or 0 for r in rows]
    after = [r["sales_after"] or 0 for r in rows]
    axes.barh([y - 0.2 for y in ys], before, 0.4, color=PALE, label="Baseline")
    axes.barh([y + 0.2 for y in ys], after, 0.4, color=BRAND, label="Sekarang")
    axes.set_yticks(list(ys), [_short(r["label"], 20) for r in rows], fontsize=10)
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(lambda v, _p: f"{v / 1e3:g}")
    axes.set_xlabel("ribu Rp per peserta per bulan")
    axes.legend(frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2, fontsize=10)


def board_charts(board: Board, fmt_: str = "svg") -> dict[str, bytes]:
    """The board's charts by name."""
    out = {
        "sales": render(draw_sales, board.sales, fmt_, "Penjualan peserta per bulan"),
        "people": render(draw_people, board.sales, fmt_, "Penjualan per peserta per bulan"),
        "funnel": render(draw_funnel, board.funnel, fmt_, "Dari persetujuan sampai berjualan"),
    }
    for n, pair in enumerate(board.pre_post, 1):
        out[f"scores{n}"] = render(draw_scores, pair, fmt_, "Sebaran nilai pre-test dan post-test")
    return out


__all__ = ["board_charts", "data_uri", "draw_villages", "fmt", "render"]
