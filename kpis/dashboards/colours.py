"""One colour per channel, the same on every page, whatever the filters,
and in review packs (docs/metrics.md, "Colours of channels").

A channel's style is a pure function of its id: pages, filtered views,
stored renders and packs all call `channel_style(channel.pk)` and never
depend on which other channels are shown. Twelve colours, each with at least
3:1 contrast on white (the WCAG level for parts of graphics), in an order
where neighbours differ most. A thirteenth channel shares the first
channel's colour; the collision is told apart by the line's dash and the
marker's symbol (the second round of twelve draws dotted lines and squares,
the third dashed lines and diamonds, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

PALETTE = (
    "#2457c5",  # blue
    "#c2410c",  # orange
    "#2b8a3e",  # green
    "#a61e8c",  # magenta
    "#0b7285",  # teal
    "#6f4e37",  # brown
    "#6741d9",  # violet
    "#a07800",  # gold
    "#1c7ed6",  # sky
    "#d6336c",  # pink
    "#5c7f0d",  # olive
    "#495057",  # grey
)
# One per round of the palette: (line dash, marker symbol).
ROUNDS = (
    ("solid", "circle"),
    ("dot", "square"),
    ("dash", "diamond"),
    ("dashdot", "triangle-up"),
)


@dataclass(frozen=True)
class ChannelStyle:
    colour: str
    dash: str
    symbol: str


def channel_style(channel_id: int) -> ChannelStyle:
    """The style of the channel with this id (ids start at 1)."""
    index = max(int(channel_id) - 1, 0)
    dash, symbol = ROUNDS[(index // len(PALETTE)) % len(ROUNDS)]
    return ChannelStyle(PALETTE[index % len(PALETTE)], dash, symbol)


def channel_styles(channels: Iterable[tuple[str, int]]) -> dict[str, ChannelStyle]:
    """slug -> style for (slug, id) pairs, as the chart builders take them."""
    return {slug: channel_style(pk) for slug, pk in channels}


def contrast_on_white(colour: str) -> float:
    """WCAG contrast ratio of a #rrggbb colour against white."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)
