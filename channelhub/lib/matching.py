"""Is this the same customer? Normalised domains and fuzzy-matched names.

Two registrations name the same customer when
- their normalised domains are equal ("https://www.Acme.com/about" and
  "sales@acme.com" are both "acme.com"), in any country; or
- their normalised names are similar enough (NAME_MATCH_THRESHOLD) and they
  are in the same country: "ACME Corp." and "Acme Corporation" match, while
  "Acme GmbH" in DE and "Acme Inc" in the US are treated as different legal
  entities unless their domains say otherwise.

Only the standard library is used (difflib): names are short, and the
candidates are a few hundred active registrations, not a table scan.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from django.core.exceptions import ValidationError

# SequenceMatcher.ratio() of the two name keys, from 0 (nothing shared) to 1
# (equal). 0.86 accepts typos and dropped endings ("Umbrella Corp" /
# "Umbrela Corporation": 0.93, "Wayne Enterprises" / "Wayne Enterprise":
# 0.97, "Globex Industries" / "Globex Industry": 0.875) and refuses names that
# only share a word or a stem ("Blue Sky Media" / "Blue Sea Media": 0.857,
# "Acme Tools" / "Acme Foods": 0.80, "Initech" / "Initrode": 0.67). One letter
# apart still matches ("Nordic Goods" / "Nordic Foods": 0.92): a match opens a
# case for a person to judge, it never rejects a registration by itself.
NAME_MATCH_THRESHOLD = 0.86


# Legal forms and filler words that do not tell two companies apart.
LEGAL_WORDS = frozenset(
    {
        *("ab", "ag", "as", "asa", "bv", "co", "company", "corp", "corporation", "cv"),
        *("gmbh", "holding", "holdings", "inc", "incorporated", "kg", "kgaa", "limited"),
        *("llc", "llp", "lp", "ltd", "mbh", "nv", "oy", "oyj", "plc", "pty", "sa", "sab"),
        *("sae", "sarl", "sas", "se", "sl", "spa", "srl", "the", "und", "and", "of", "group"),
    }
)


_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def normalise_domain(value: str) -> str:
    """'https://www.Acme.com/contact?x=1' -> 'acme.com'; 'sales@acme.de' -> 'acme.de'.

    Empty stays empty. Raises ValidationError for something that is not a domain.
    """
    text = (value or "").strip().lower()
    if not text:
        return ""
    if "@" in text and "://" not in text:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]  # user:password@host
    text = text.split(":", 1)[0].rstrip(".")  # port, trailing root dot
    if text.startswith("www."):
        text = text[4:]
    try:
        text = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(f"“{value}” is not a web domain.", code="domain") from None
    if not _DOMAIN_RE.match(text):
        raise ValidationError(
            f"“{value}” is not a web domain (e.g. acme.com).", code="domain"
        ) from None
    return text


def name_key(name: str) -> str:
    """'ACME Corp. GmbH & Co. KG' -> 'acme': lower case, no accents, no punctuation,
    no legal forms. A name made only of legal words keeps them (so it is not empty)."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ")
    words = re.findall(r"[a-z0-9]+", text)
    kept = [w for w in words if w not in LEGAL_WORDS]
    return " ".join(kept or words)[:160]


def name_similarity(a: str, b: str) -> float:
    """How alike two name keys are, 0..1 (difflib's ratio)."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def names_match(a: str, b: str, threshold: float = NAME_MATCH_THRESHOLD) -> bool:
    """Name keys `a` and `b` are the same customer. The cheap upper bounds run
    first: most pairs are refused without computing the full ratio."""
    if not a or not b:
        return False
    if a == b:
        return True
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return (
        matcher.real_quick_ratio() >= threshold
        and matcher.quick_ratio() >= threshold
        and matcher.ratio() >= threshold
    )
