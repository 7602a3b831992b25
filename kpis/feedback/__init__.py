"""Customer feedback (NPS scores and ratings): recorded one by one or imported
from a file through kpis.ingest; it feeds the KPI snapshots as a source.
"""
