"""One colour per channel (issue 17 item 5): a pure function of the channel's id."""

from kpis.dashboards.colours import PALETTE, ChannelStyle, channel_style, contrast_on_white


def test_the_channel_colour_map():
    assert {pk: channel_style(pk).colour for pk in range(1, 13)} == {
        1: "#2457c5",
        2: "#c2410c",
        3: "#2b8a3e",
        4: "#a61e8c",
        5: "#0b7285",
        6: "#6f4e37",
        7: "#6741d9",
        8: "#a07800",
        9: "#1c7ed6",
        10: "#d6336c",
        11: "#5c7f0d",
        12: "#495057",
    }
    assert channel_style(1) == ChannelStyle("#2457c5", "solid", "circle")


def test_a_colour_shared_past_twelve_channels_differs_by_dash_and_symbol():
    assert channel_style(13) == ChannelStyle("#2457c5", "dot", "square")
    assert channel_style(26) == ChannelStyle("#c2410c", "dash", "diamond")
    assert channel_style(37) == ChannelStyle("#2457c5", "dashdot", "triangle-up")
    assert channel_style(49) == channel_style(1)  # four rounds, then again
    styles = {channel_style(pk) for pk in range(1, 49)}
    assert len(styles) == 48  # no two of the first 48 channels look alike


def test_every_colour_is_distinct_and_reads_on_white():
    assert len(set(PALETTE)) == len(PALETTE) == 12
    assert min(contrast_on_white(c) for c in PALETTE) >= 3.0
    assert round(contrast_on_white("#2457c5"), 2) == 6.47
