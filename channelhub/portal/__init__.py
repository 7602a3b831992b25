"""The partner portal (/portal/): the pages partner users see.

It reads from partners and from the KPI engine, so it sits at the top of the
import layers with the site's own URLs and views, never inside partners. Its
models (accounts, invitations, messages) are in partners.access.
"""
