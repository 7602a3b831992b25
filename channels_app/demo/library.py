"""Demo brand library: a logo pack, a price list (in two versions) and the
brand guidelines for each channel that has partners. Idempotent: a channel
whose library holds anything is left alone."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw
from pypdf import PdfWriter

from channels_app.channels.models import Channel
from channels_app.library.services import library_item_publish, library_item_replace


def _pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _logo(colour: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (240, 80), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((10, 10, 230, 70), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def seed(users: dict[str, Any], channels: list[Channel], today: date) -> int:
    """Publish the demo material; returns how many items were published."""
    maria = users.get("maria")
    published = 0
    for channel in channels:
        if not channel.partners.exists() or channel.library_items.exists():
            continue
        library_item_publish(
            channel=channel,
            title="Logo pack",
            kind="logo",
            description="Our logo on white, for shop windows and web pages.",
            file=ContentFile(_logo((22, 90, 160)), name="logo.png"),
            by=maria,
        )
        prices = library_item_publish(
            channel=channel,
            title=f"Price list {today.year}",
            kind="price_list",
            description="Recommended retail prices and partner discounts.",
            file=ContentFile(_pdf(2), name=f"price-list-{today.year}.pdf"),
            note="Prices for the year",
            by=maria,
        )
        library_item_replace(
            item=prices,
            file=ContentFile(_pdf(3), name=f"price-list-{today.year}-v2.pdf"),
            note="New desk range added",
            by=maria,
        )
        library_item_publish(
            channel=channel,
            title="Brand guidelines",
            kind="guideline",
            description="How to show our brand: colours, logo spacing, tone of voice.",
            file=ContentFile(_pdf(4), name="brand-guidelines.pdf"),
            by=maria,
        )
        published += 3
    return published
