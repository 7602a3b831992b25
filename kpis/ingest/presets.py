"""Ready-made sources for the usual exports, built from each platform's
documented export columns. A preset is a plan (kpis.ingest.mapping) the user
starts from: `import_metrics FILE --source google-ads`, or a source saved from
it. Columns a preset does not name are still matched by their names, and
derived figures (CTR, CPC, ...) are ignored as for any file.

None of these exports names a ChannelHub channel: give one channel for the
whole file (`--channel`, or the mapping step), or map the file's campaign /
sales channel / source-medium values to channels.
"""

from __future__ import annotations

from typing import Any

from .mapping import IGNORE, normalise_name

PRESETS: dict[str, dict[str, Any]] = {
    # Google Ads > Reports > Campaign (or Account) report, segmented by Day.
    # Downloaded as "CSV" it has two title rows and "Total: ..." rows at the bottom.
    "google-ads": {
        "name": "Google Ads (campaign or account report by day)",
        "plan": {
            "columns": {
                "Day": "date",
                "Campaign": "channel",
                "Cost": "spend",
                "Conv. value": "revenue",
                # Fractional under data-driven attribution: map it to orders if yours are whole.
                "Conversions": IGNORE,
                "Impr.": "impressions",
                "Clicks": "clicks",
                "Currency code": IGNORE,
                "Campaign ID": IGNORE,
                "Account": IGNORE,
                "Customer ID": IGNORE,
                "Campaign status": IGNORE,
                "Campaign type": IGNORE,
                "All conv. value": IGNORE,
                "All conv.": IGNORE,
            }
        },
    },
    # Meta Ads Manager > Reports > Export table data, Breakdown: Day.
    "meta-ads": {
        "name": "Meta Ads Manager (by day)",
        "plan": {
            "columns": {
                "Day": "date",
                "Reporting starts": "date",
                "Campaign name": "channel",
                "Amount spent (USD)": "spend",
                "Amount spent (EUR)": "spend",
                "Purchases conversion value": "revenue",
                "Purchases": "orders",
                "Leads": "leads",
                "Impressions": "impressions",
                "Link clicks": "clicks",
                "Reporting ends": IGNORE,
                "Reach": IGNORE,
                "Results": IGNORE,
                "Result indicator": IGNORE,
                "Ad set name": IGNORE,
                "Attribution setting": IGNORE,
                "Ends": IGNORE,
                "Delivery status": IGNORE,
                "Delivery level": IGNORE,
            }
        },
    },
    # Microsoft Advertising > Reports > Campaign performance, Time: Daily.
    "microsoft-ads": {
        "name": "Microsoft Advertising (campaign performance by day)",
        "plan": {
            "columns": {
                "Gregorian date": "date",
                "Campaign name": "channel",
                "Spend": "spend",
                "Revenue": "revenue",
                "Conversions": IGNORE,
                "Impressions": "impressions",
                "Clicks": "clicks",
                "Account name": IGNORE,
                "Campaign ID": IGNORE,
                "Currency code": IGNORE,
                "Campaign status": IGNORE,
            }
        },
    },
    # TikTok Ads Manager > Reporting > Custom report, Dimensions: Campaign name, Day.
    "tiktok-ads": {
        "name": "TikTok Ads (custom report by day)",
        "plan": {
            "columns": {
                "By Day": "date",
                "Date": "date",
                "Campaign name": "channel",
                "Cost": "spend",
                "Total complete payment value": "revenue",
                "Complete payment": "orders",
                "Total purchase value": "revenue",
                "Purchases": "orders",
                "Impressions": "impressions",
                "Clicks (destination)": "clicks",
                "Clicks": "clicks",
                "Campaign ID": IGNORE,
                "Currency": IGNORE,
                "Reach": IGNORE,
                "Conversions": IGNORE,
            }
        },
    },
    # Shopify > Analytics > Reports > Sales over time by sales channel, daily.
    "shopify": {
        "name": "Shopify (sales by day and sales channel)",
        "plan": {
            "columns": {
                "Day": "date",
                "Sales channel": "channel",
                "Orders": "orders",
                "Total sales": "revenue",
                "Net items sold": "units",
                "Gross sales": IGNORE,
                "Discounts": IGNORE,
                "Returns": IGNORE,
                "Net sales": IGNORE,
                "Shipping": IGNORE,
                "Duties": IGNORE,
                "Additional fees": IGNORE,
                "Taxes": IGNORE,
                "Cost of goods sold": "cogs",
                "Gross profit": IGNORE,
            }
        },
    },
    # Amazon Seller Central > Reports > Business Reports > Sales and Traffic by Date.
    "amazon-seller": {
        "name": "Amazon Seller Central (business report by date)",
        "plan": {
            "columns": {
                "Date": "date",
                "Ordered Product Sales": "revenue",
                "Units Ordered": "units",
                "Total Order Items": "orders",
                "Sessions - Total": "clicks",
                "Page Views - Total": "impressions",
                "Ordered Product Sales - B2B": IGNORE,
                "Units Ordered - B2B": IGNORE,
                "Total Order Items - B2B": IGNORE,
                "Average Sales per Order Item": IGNORE,
                "Average Units per Order Item": IGNORE,
                "Average Selling Price": IGNORE,
                "Sessions - Browser": IGNORE,
                "Sessions - Mobile App": IGNORE,
                "Page Views - Browser": IGNORE,
                "Page Views - Mobile App": IGNORE,
                "Buy Box Percentage": IGNORE,
                "Order Item Session Percentage": IGNORE,
                "Unit Session Percentage": IGNORE,
                "Units Refunded": IGNORE,
                "Refund Rate": IGNORE,
                "Feedback Received": IGNORE,
                "Negative Feedback Received": IGNORE,
                "Received Negative Feedback Rate": IGNORE,
                "A-to-z Claims Granted": IGNORE,
                "Claims Amount": IGNORE,
                "Shipped Product Sales": IGNORE,
                "Units Shipped": IGNORE,
                "Orders Shipped": IGNORE,
            },
            "date_format": "%m/%d/%Y",  # amazon.com; other marketplaces: change it
        },
    },
    # GA4 > Explore (or Reports > Traffic acquisition), rows Date x Session
    # source / medium, downloaded as CSV: "#" comment lines above the header.
    "ga4": {
        "name": "Google Analytics 4 (by date and session source / medium)",
        "plan": {
            "columns": {
                "Date": "date",
                "Session source / medium": "channel",
                "Sessions": "clicks",
                "Ecommerce purchases": "orders",
                "Transactions": "orders",
                "Purchase revenue": "revenue",
                "Total revenue": IGNORE,
                "Total users": IGNORE,
                "New users": IGNORE,
                "Engaged sessions": IGNORE,
                "Key events": IGNORE,
                "Conversions": IGNORE,
                "Event count": IGNORE,
            },
            "date_format": "%Y%m%d",
            "unlabelled_totals": True,
        },
    },
}


def preset_plan(slug: str) -> dict[str, Any] | None:
    preset = PRESETS.get(slug)
    if preset is None:
        return None
    plan = preset["plan"]
    return {**plan, "columns": dict(plan["columns"]), "first_wins": True}


def detect_preset(names: list[str]) -> str:
    """The preset whose export this header looks like, or "": its date column is
    there, and it names at least three and at least half of the file's columns."""
    keys = {normalise_name(n) for n in names if n.strip()}
    best, best_hits = "", 0
    for slug, preset in PRESETS.items():
        columns = preset["plan"]["columns"]
        named = {normalise_name(c) for c in columns}
        dates = {normalise_name(c) for c, target in columns.items() if target == "date"}
        hits = len(keys & named)
        if keys & dates and hits >= 3 and hits * 2 >= len(keys) and hits > best_hits:
            best, best_hits = slug, hits
    return best


def with_preset(slug: str, plan: dict[str, Any]) -> dict[str, Any]:
    """`plan` on top of the preset's (the plan's own choices win)."""
    base = preset_plan(slug)
    if base is None:
        return plan
    return {
        **base,
        **plan,
        "columns": {**base["columns"], **(plan.get("columns") or {})},
        "preset": slug,
    }
