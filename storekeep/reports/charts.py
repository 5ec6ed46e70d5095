"""Small charts drawn on the server as inline SVG (SPEC §11: no Node build, no JS library).

Pure functions: data in, markup out (escaped text, ``mark_safe`` on the result).
Every chart carries a ``<title>`` and a ``<desc>`` so a screen reader reads what
it shows; the page also shows the figures as a table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Colours told apart also by people with the commonest colour blindness (Okabe–Ito).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 28, 28
MAX_POINTS = 400


def _nice_max(value: Decimal) -> Decimal:
    """The smallest 1/2/5 × 10ⁿ at or above ``value`` (axis top)."""
    if value <= 0:
        return Decimal("1")
    exponent = len(str(int(value))) - 1
    for step in (1, Decimal("1.5"), 2, Decimal("2.5"), 3, 4, 5, 6, 8, 10):
        top = Decimal(step) * Decimal(10) ** exponent
        if top >= value:
            return top
    return value  # pragma: no cover


def _fmt(value: Decimal) -> str:
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def step_chart(
    series: list[tuple[str, list[tuple[dt.datetime, Decimal]]]],
    *,
    start: dt.datetime,
    end: dt.datetime,
    title: str,
) -> SafeString:
    """A step line per series of ``(moment, value)`` points over ``[start, end]``.

    A series' first point is its value at ``start``; each value holds until the
    next point (stock on hand between movements). Long series are thinned to
    about ``MAX_POINTS`` points, keeping the first and the last.
    """
    span = max((end - start).total_seconds(), 1.0)
    values = [v for _, points in series for _, v in points]
    top = _nice_max(max(values, default=Decimal("0")))
    bottom = min(min(values, default=Decimal("0")), Decimal("0"))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: dt.datetime) -> float:
        return LEFT + plot_w * min(max((moment - start).total_seconds() / span, 0.0), 1.0)

    def y(value: Decimal) -> float:
        return TOP + plot_h * float((top - Decimal(value)) / ((top - bottom) or 1))

    parts = [_frame(title, f"{len(series)} location(s), {start:%d %b %Y} to {end:%d %b %Y}")]
    for fraction in (0, 0.5, 1):
        level = bottom + (top - bottom) * Decimal(str(fraction))
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
            f'stroke="#ddd"/><text x="{LEFT - 6}" y="{y(level) + 4:.1f}" text-anchor="end" '
            f'font-size="11">{_fmt(level)}</text>'
        )
    for moment in (start, start + (end - start) / 2, end):
        parts.append(
            f'<text x="{x(moment):.1f}" y="{HEIGHT - 8}" text-anchor="middle" font-size="11">'
            f"{moment:%d %b %Y}</text>"
        )
    for index, (label, points) in enumerate(series):
        if not points:
            continue
        if len(points) > MAX_POINTS:
            stride = len(points) / MAX_POINTS
            points = [points[int(i * stride)] for i in range(MAX_POINTS)] + [points[-1]]
        colour = PALETTE[index % len(PALETTE)]
        path = [f"M{x(points[0][0]):.1f},{y(points[0][1]):.1f}"]
        for moment, value in points[1:]:
            path.append(f"H{x(moment):.1f}V{y(value):.1f}")
        path.append(f"H{x(end):.1f}")
        parts.append(
            f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(label)}</title></path>"
        )
        parts.append(
            f'<rect x="{LEFT + 8 + 130 * index}" y="6" width="10" height="10" '
            f'fill="{colour}"/><text x="{LEFT + 22 + 130 * index}" y="15" '
            f'font-size="11">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart(
    bars: list[tuple[str, Decimal, str]], *, title: str, value_label: str = ""
) -> SafeString:
    """One bar per ``(label, value, href)``: each bar links to the list behind it."""
    top = _nice_max(max((v for _, v, _ in bars), default=Decimal("0")))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(bars), 1)
    parts = [_frame(title, f"{len(bars)} bars; highest {_fmt(top)} {value_label}".strip())]
    for fraction in (0, 0.5, 1):
        level = top * Decimal(str(fraction))
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{_fmt(level)}</text>"
        )
    label_every = max(1, len(bars) // 10)
    for index, (label, value, href) in enumerate(bars):
        height = plot_h * float(Decimal(value) / top) if top else 0
        x = LEFT + slot * index + slot * 0.15
        tip = f"{label}: {_fmt(value)} {value_label}".strip()
        parts.append(
            f'<a href="{escape(href)}"><rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
            f'width="{slot * 0.7:.1f}" height="{max(height, 0):.1f}" fill="{PALETTE[0]}">'
            f"<title>{escape(tip)}</title></rect></a>"
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'font-size="11">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _frame(title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" class="chart" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
    )
