"""The KPI engine: recompute runs and their snapshots, incentive accruals,
objective evaluation, the sources a snapshot sums, KPI reads (selectors) and
the KPI export. Periods, formulas and the metric catalogue it applies are in
channelhub.metrics.
"""
