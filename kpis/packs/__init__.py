"""Review packs: their definitions, the cadence dispatch, rendering one pack
(HTML and CSV, built from the dashboards) and sending it.
"""
