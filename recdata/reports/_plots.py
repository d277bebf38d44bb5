"""The report's figures: matplotlib to inline SVG, deterministic (fixed hash salt, no date).

Text stays text (``svg.fonttype: none``) so the page is small and searchable; the SVG's
element ids come from the fixed ``svg.hashsalt``, so the same data gives the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import polars as pl

from recdata.errors import MissingExtra

_RC = {
    "svg.hashsalt": "recdata-report",
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.dpi": 96,
}
COLOR = "#3366aa"
ACCENT = "#cc5533"


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise MissingExtra("matplotlib", "report", "recdata report") from exc
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def require_matplotlib() -> None:
    """Raise :class:`MissingExtra` naming the ``report`` extra when matplotlib is absent."""
    _pyplot()


_MARGINS = {"left": 0.13, "right": 0.97, "bottom": 0.16, "top": 0.9}


def _svg(
    draw: Callable[[Any], None],
    *,
    size: tuple[float, float] = (5.2, 3.2),
    margins: dict[str, float] | None = None,
) -> str:
    """Draw on a fresh figure and return its SVG element (no XML prolog, no date).

    Margins are fixed fractions of the figure (no layout engine: it costs a second draw).
    """
    plt = _pyplot()
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=size)
        fig.subplots_adjust(**{**_MARGINS, **(margins or {})})
        try:
            draw(ax)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    # an inline SVG needs no fixed pixel size: let it scale with its container
    return re.sub(
        r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 class="plot"', text, count=1
    )


def degree_plot(degrees: pl.DataFrame, what: str) -> str:
    """Log-log scatter of how many ``what`` have each number of interactions."""

    def draw(ax: Any) -> None:
        from matplotlib.ticker import NullFormatter

        ax.plot(
            degrees["degree"].to_numpy(),
            degrees["count"].to_numpy(),
            linestyle="none",
            marker="o",
            markersize=2.5,
            color=COLOR,
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("interactions")
        ax.set_ylabel(what)
        ax.set_title(f"{what.capitalize()} by number of interactions (log-log)")

    return _svg(draw)


def lorenz_plot(curve: pl.DataFrame, gini: float) -> str:
    """The popularity Lorenz curve against the line of equality."""

    def draw(ax: Any) -> None:
        ax.plot([0, 1], [0, 1], color="#999999", linewidth=1, linestyle="--", label="equality")
        ax.plot(
            curve["items_share"].to_numpy(),
            curve["interactions_share"].to_numpy(),
            color=COLOR,
            linewidth=1.6,
            label=f"items (Gini {gini:.3f})",
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("share of items (least popular first)")
        ax.set_ylabel("share of interactions")
        ax.set_title("Popularity Lorenz curve")
        ax.legend(loc="upper left", frameon=False)

    return _svg(draw)


def monthly_plot(monthly: pl.DataFrame) -> str:
    """Interactions per calendar month (UTC)."""

    def draw(ax: Any) -> None:
        months = monthly["month"].to_list()
        ax.bar(months, monthly["interactions"].to_numpy(), width=25, color=COLOR)
        ax.set_ylabel("interactions")
        ax.set_title("Interactions per month")
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")

    return _svg(draw, size=(7.5, 3.2), margins={"left": 0.1, "bottom": 0.2})


def rating_plot(ratings: pl.DataFrame) -> str:
    """Bar chart of the rating values."""

    def draw(ax: Any) -> None:
        values = ratings["rating"].to_numpy()
        width = (
            0.8 * float(min(abs(b - a) for a, b in zip(values, values[1:], strict=False)))
            if len(values) > 1
            else 0.8
        )
        ax.bar(values, ratings["count"].to_numpy(), width=width, color=COLOR)
        ax.set_xlabel("rating")
        ax.set_ylabel("interactions")
        ax.set_title("Ratings")

    return _svg(draw)


def sequence_plot(user_degrees: pl.DataFrame) -> str:
    """Histogram of users' sequence lengths (interactions per user), cut at the 99th percentile."""

    def draw(ax: Any) -> None:
        degrees = user_degrees["degree"].to_numpy()
        counts = user_degrees["count"].to_numpy()
        cumulative = counts.cumsum() / counts.sum()
        cap = int(degrees[min(int((cumulative < 0.99).sum()), len(degrees) - 1)])
        keep = degrees <= cap
        bins = min(60, max(cap - int(degrees.min()) + 1, 1))
        ax.hist(degrees[keep], bins=bins, weights=counts[keep], color=COLOR)
        ax.set_xlabel(f"interactions per user (up to the 99th percentile, {cap})")
        ax.set_ylabel("users")
        ax.set_title("Sequence lengths")

    return _svg(draw)


def funnel_plot(stages: list[tuple[str, int, int, int]]) -> str:
    """Users, items and interactions after each pipeline stage (log scale)."""

    def draw(ax: Any) -> None:
        names = [s[0] for s in stages]
        x = list(range(len(names)))
        for label, column, color in [
            ("interactions", 3, "#55aa55"),
            ("users", 1, COLOR),
            ("items", 2, ACCENT),
        ]:
            ax.plot(x, [s[column] for s in stages], marker="o", label=label, color=color)
        ax.set_xticks(x, names)
        ax.set_yscale("log")
        ax.set_ylabel("count (log)")
        ax.set_title("Pipeline funnel")
        ax.legend(frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.1))

    return _svg(draw, size=(7.5, 3.2), margins={"left": 0.1, "bottom": 0.22})


def coverage_plot(fields: list[tuple[str, float]]) -> str:
    """Horizontal bars: the share of rows with a value, per field."""

    def draw(ax: Any) -> None:
        names = [f for f, _ in fields][::-1]
        shares = [s for _, s in fields][::-1]
        ax.barh(names, shares, color=COLOR)
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of rows with a value")
        ax.set_title("Metadata coverage")

    height = 1.0 + 0.2 * max(len(fields), 1)
    longest = max((len(f) for f, _ in fields), default=8)
    margins = {
        "left": min(0.55, 0.04 + 0.0155 * longest),
        "bottom": 0.45 / height,
        "top": 1 - 0.3 / height,
    }
    return _svg(draw, size=(5.2, height), margins=margins)


__all__ = [
    "coverage_plot",
    "degree_plot",
    "funnel_plot",
    "lorenz_plot",
    "monthly_plot",
    "rating_plot",
    "require_matplotlib",
    "sequence_plot",
]
