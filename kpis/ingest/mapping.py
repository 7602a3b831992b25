"""Which file column feeds which ChannelHub field.

A *plan* is what a source (or the user, in the mapping step, or the command
line's --ignore) says about a file, as JSON:

    {"columns": {"Day": "date", "Cost": "spend", "CTR": "__ignore__"},
     "constant_channel": "paid-search",
     "channel_values": {"Brand - EU": "paid-search", "Test": "__drop__"},
     "date_format": "%d.%m.%Y", "decimal": ",", "reader": {"sheet": "Data"}}

`resolve` completes it for one file: columns the plan does not name are
matched by their name (synonyms: Cost / Amount spent / Spend (USD) -> spend,
...), and what cannot be decided is refused with words naming what was
found. Money is never dropped silently: a column of amounts that matches no
field is refused by name unless the plan maps it or ignores it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from channelhub.lib.tabular import FileProblem

from .checks import KNOWN_COLUMNS
from .formats import _CURRENCY, DATE_FORMATS, Layout, NeedsChoice, sniff_date_format, sniff_decimal

IGNORE = "__ignore__"
DROP = "__drop__"

FIELD_LABELS = {
    "date": "Date",
    "channel": "Channel",
    "partner": "Partner",
    "spend": "Spend (cost)",
    "revenue": "Revenue (sales)",
    "cogs": "Cost of goods sold",
    "orders": "Orders",
    "units": "Units",
    "leads": "Leads",
    "new_customers": "New customers",
    "impressions": "Impressions",
    "clicks": "Clicks / visits",
    "inventory_value": "Inventory value",
}

# Names as `normalise_name` writes them, best match first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "day",
        "datum",
        "tag",
        "reporting starts",
        "reporting start",
        "order date",
        "report date",
        "by day",
        "date utc",
        "stat time day",
        "time period",
        "gregorian date",
        "fecha",
        "jour",
    ),
    "channel": (
        "channel",
        "kanal",
        "kanaal",
        "channel slug",
        "sales channel",
        "sales channel name",
        "marketing channel",
        "session source medium",
        "source medium",
        "session default channel group",
        "default channel group",
        "session source",
        "campaign",
        "campaign name",
        "account",
        "account name",
        "platform",
    ),
    "partner": ("partner", "partner slug", "partner name", "reseller", "distributor"),
    "spend": (
        "spend",
        "cost",
        "costs",
        "amount spent",
        "ad spend",
        "media cost",
        "total cost",
        "advertising cost",
        "ad cost",
        "kosten",
        "ausgaben",
        "spent",
    ),
    "revenue": (
        "revenue",
        "conv value",
        "conversion value",
        "conversions value",
        "all conv value",
        "purchases conversion value",
        "purchase conversion value",
        "total sales",
        "gross sales",
        "sales",
        "ordered product sales",
        "purchase revenue",
        "total revenue",
        "total purchase value",
        "purchase value",
        "umsatz",
        "revenue total",
    ),
    "cogs": ("cogs", "cost of goods sold", "cost of goods", "product cost", "cost of sales"),
    "orders": (
        "orders",
        "conversions",
        "purchases",
        "total orders",
        "transactions",
        "ecommerce purchases",
        "total order items",
        "bestellungen",
    ),
    "units": ("units", "units ordered", "quantity", "net quantity", "items sold", "net items sold"),
    "leads": ("leads", "lead", "form submissions"),
    "new_customers": (
        "new customers",
        "new customer",
        "first time customers",
        "first-time customers",
    ),
    "impressions": ("impressions", "impr", "impressionen"),
    "clicks": ("clicks", "link clicks", "sessions", "visits", "clicks all", "klicks"),
    "inventory_value": ("inventory value", "stock value"),
}
# Figures ChannelHub computes itself from the ones above: a column of them is
# ignored (and said so), never refused.
DERIVED = re.compile(
    r"\b(ctr|cpc|cpm|cpa|cpl|roas|roi|rate|avg|average|per|frequency|reach|share|"
    r"percent|margin|aov|cost / conv|cost conv|position)\b|%|/"
)
MONEY_WORDS = re.compile(
    r"\b(cost|costs|spend|spent|value|revenue|sales|amount|price|profit|budget|fee|fees|tax|"
    r"shipping|discount|refund|returns|umsatz|kosten)\b"
)
CURRENCY_IN_NAME = re.compile(r"\(\s*([A-Z]{3}|[€$£¥])\s*\)\s*$", re.IGNORECASE)


def normalise_name(name: str) -> str:
    """'Spend (USD)' -> 'spend', 'Conv. value' -> 'conv value', 'Session source / medium' ->
    'session source medium'."""
    text = CURRENCY_IN_NAME.sub("", str(name)).strip().lower()
    text = text.replace("_", " ").replace("-", " ")
    text = re.sub(r"[^\w%/ ]+", " ", text)
    text = re.sub(r"\s*/\s*", " ", text) if not DERIVED_SLASH.search(text) else text
    return re.sub(r"\s+", " ", text).strip()


DERIVED_SLASH = re.compile(r"\bcost\s*/\s*conv")


def suggest(name: str) -> str:
    """The field a column of this name most likely feeds, or "". A name under a
    merged group label ("Marketing Spend") is tried without the label too."""
    words = normalise_name(name).split(" ")
    for start in range(1 if is_derived(name) else min(len(words), 3)):
        key = " ".join(words[start:])
        for field_name, names in SYNONYMS.items():
            if key in names:
                return field_name
    return ""


def _rank(field_name: str, name: str) -> int:
    names = SYNONYMS.get(field_name, ())
    key = normalise_name(name)
    return names.index(key) if key in names else 99


@dataclass
class Mapping:
    """The resolved mapping of one file."""

    positions: dict[str, int]  # field -> column index in the file
    ignored: list[str] = field(default_factory=list)
    constant_channel: str = ""
    channel_values: dict[str, str] = field(default_factory=dict)  # lower-cased value -> slug
    date_format: str = "%Y-%m-%d"
    decimal: str = "."
    currency: str = ""
    notes: list[str] = field(default_factory=list)
    # Rows with neither date nor channel are totals (an export that labels none: GA4).
    unlabelled_totals: bool = False

    @property
    def fields(self) -> list[str]:
        return [f for f in KNOWN_COLUMNS if f in self.positions]

    def as_plan(self, names: list[str]) -> dict[str, Any]:
        by_position = {pos: f for f, pos in self.positions.items()}
        columns = {name: by_position.get(i, IGNORE) for i, name in enumerate(names) if name.strip()}
        return {
            "columns": columns,
            "constant_channel": self.constant_channel,
            "channel_values": self.channel_values,
            "date_format": self.date_format,
            "decimal": self.decimal,
        }


def is_derived(name: str) -> bool:
    return bool(DERIVED.search(normalise_name(name)) or DERIVED.search(name.lower()))


def looks_like_money(name: str, values: list[str]) -> bool:
    if MONEY_WORDS.search(normalise_name(name)):
        return True
    sample = values[:50]
    # A currency symbol next to digits ("12,50 €"); a column of bare codes ("USD") says
    # which currency, it holds no amount.
    return any(
        (re.search(_CURRENCY, v) and re.search(r"[0-9]", v))
        or re.search(r"[0-9][.,][0-9]{1,2}$", v)
        for v in sample
    )


def _plan_column(plan_columns: dict[str, str], name: str) -> str | None:
    """What the plan says about a column (matched case- and space-insensitively)."""
    if name in plan_columns:
        return plan_columns[name]
    key = normalise_name(name)
    for planned, target in plan_columns.items():
        if normalise_name(planned) == key:
            return target
    return None


def resolve(layout: Layout, plan: dict[str, Any] | None = None) -> Mapping:
    """The mapping of this file: the plan's choices, completed from the names."""
    plan = plan or {}
    plan_columns: dict[str, str] = dict(plan.get("columns") or {})
    names = layout.names
    seen: dict[str, str] = {}
    for name in names:
        key = name.strip().lower()
        if key and key in seen:
            raise_problem(f"The header names the column “{name}” twice.")
        seen[key] = name
    positions: dict[str, int] = {}
    candidates: dict[str, list[int]] = {}
    ignored: list[str] = []
    unmatched_money: list[str] = []
    derived: list[str] = []
    text_ignored: list[str] = []
    for i, name in enumerate(names):
        if not name.strip():
            continue
        chosen = _plan_column(plan_columns, name)
        if chosen == IGNORE:
            ignored.append(name)
            continue
        if chosen:
            if chosen not in KNOWN_COLUMNS:
                raise_problem(f"The column “{name}” is mapped to “{chosen}”, which is no field.")
            if chosen in positions and plan.get("first_wins"):
                ignored.append(name)  # a preset's other name for the same figure
                continue
            if chosen in positions:
                raise_problem(
                    f"Two columns are mapped to {FIELD_LABELS[chosen].lower()}: "
                    f"“{names[positions[chosen]]}” and “{name}”."
                )
            positions[chosen] = i
            continue
        exact = name.strip().lower()
        guess = exact if exact in KNOWN_COLUMNS else suggest(name)
        if guess:
            candidates.setdefault(guess, []).append(i)
            continue
        values = layout.column_values(i)
        if looks_like_money(name, values) and not DERIVED.search(normalise_name(name)):
            unmatched_money.append(name)
        elif DERIVED.search(normalise_name(name)) or DERIVED.search(name.lower()):
            derived.append(name)
        else:
            text_ignored.append(name)
    conflicts = []
    for guess, indexes in candidates.items():
        if guess in positions:
            # The plan chose another column for this field: the rest are money left over.
            for i in indexes:
                (unmatched_money if guess in MONEY_FIELDS else text_ignored).append(names[i])
            continue
        if len(indexes) == 1:
            positions[guess] = indexes[0]
            continue
        exact_names = [i for i in indexes if names[i].strip().lower() == guess]
        ranked = sorted(indexes, key=lambda i: _rank(guess, names[i]))
        if len(exact_names) == 1 and guess not in MONEY_FIELDS:
            positions[guess] = exact_names[0]
            text_ignored += [names[i] for i in indexes if i != exact_names[0]]
        elif guess in MONEY_FIELDS or guess in ("date", "orders", "units", "clicks"):
            conflicts.append((guess, [names[i] for i in indexes]))
        else:
            positions[guess] = ranked[0]
            text_ignored += [names[i] for i in ranked[1:]]
    if conflicts:
        guess, found = conflicts[0]
        raise_problem(
            f"Several columns could be the {FIELD_LABELS[guess].lower()}: "
            + ", ".join(f"“{n}”" for n in found)
            + ". Choose one in the mapping step and ignore the other(s) "
            "(on the command line: --ignore COLUMN).",
            needs_choice=True,
        )
    if unmatched_money:
        raise_problem(
            "These columns hold amounts but match no field, so they would be lost: "
            + ", ".join(f"“{n}”" for n in unmatched_money)
            + ". Map them to a field or tick “ignore” in the mapping step "
            "(on the command line: --ignore COLUMN).",
            needs_choice=True,
        )
    constant = str(plan.get("constant_channel") or "").strip()
    if "date" not in positions:
        raise_problem(
            "We found no column for the date; the columns are: "
            + ", ".join(f"“{n}”" for n in names if n.strip())
            + ". Name the date column in the mapping step.",
            needs_choice=True,
            column="date",
        )
    if "channel" not in positions and not constant:
        raise_problem(
            "We found no column for the channel; the columns are: "
            + ", ".join(f"“{n}”" for n in names if n.strip())
            + ". Choose the channel column, or one channel for the whole file, in the "
            "mapping step.",
            needs_choice=True,
            column="channel",
        )
    if constant and "channel" in positions:
        # One channel for the file wins over a channel column (a preset's campaign name).
        ignored.append(names[positions.pop("channel")])
    mapping = Mapping(
        positions=positions,
        ignored=[*ignored, *derived, *text_ignored],
        constant_channel=constant,
        channel_values={
            str(k).strip().lower(): str(v).strip()
            for k, v in (plan.get("channel_values") or {}).items()
        },
        currency=str(plan.get("currency") or ""),
        unlabelled_totals=bool(plan.get("unlabelled_totals")),
    )
    if not mapping.currency:
        # "Amount spent (EUR)": the amounts say their currency.
        for f, pos in positions.items():
            in_name = CURRENCY_IN_NAME.search(names[pos])
            if f in MONEY_FIELDS and in_name and re.fullmatch(r"[A-Za-z]{3}", in_name.group(1)):
                mapping.currency = in_name.group(1).upper()
                break
    date_values = layout.column_values(positions["date"])
    mapping.date_format = plan.get("date_format") or sniff_date_format(
        date_values, cells=layout.kind == "xlsx"
    )
    money_values = [
        v
        for f, pos in positions.items()
        if f in MONEY_FIELDS or f in NUMBER_FIELDS
        for v in layout.column_values(pos)
    ]
    mapping.decimal = plan.get("decimal") or sniff_decimal(money_values, layout.delimiter)
    renamed = [
        f"“{names[pos]}” → {f}" for f, pos in positions.items() if names[pos].strip().lower() != f
    ]
    if renamed:
        mapping.notes.append("Columns read as: " + ", ".join(renamed) + ".")
    if mapping.date_format != "%Y-%m-%d":
        mapping.notes.append(
            f"Dates read as {DATE_FORMATS.get(mapping.date_format, mapping.date_format)}."
        )
    if mapping.decimal == ",":
        mapping.notes.append("Amounts read with a decimal comma (1.234,56).")
    if derived:
        mapping.notes.append(
            "Not imported, as ChannelHub computes them itself: "
            + ", ".join(f"“{n}”" for n in derived)
            + "."
        )
    if constant:
        mapping.notes.append(f"Every row is for the channel “{constant}”.")
    return mapping


MONEY_FIELDS = ("spend", "revenue", "cogs", "inventory_value")
NUMBER_FIELDS = ("orders", "units", "leads", "new_customers", "impressions", "clicks")


def raise_problem(message: str, *, needs_choice: bool = False, column: str = "") -> None:
    errors = [{"line": 1, "column": column, "value": "", "reason": message}]
    raise (NeedsChoice if needs_choice else FileProblem)(message, errors)
