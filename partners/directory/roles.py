"""The role rule every partner sub-domain shares: who runs the whole partner
programme. partners/rules.py builds every permission on it; selectors use it
to decide whose partners a list shows."""

from __future__ import annotations

from channelhub.lib.roles import is_admin, is_marketing_manager

# Marketing managers and administrators run the whole partner programme.
edits_all_partners = is_admin | is_marketing_manager
