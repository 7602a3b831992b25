"""The metric catalogue and reporting periods: pure definitions every app reads.

`formulas` defines every KPI (docs/metrics.md sections 3 to 5) and `periods` the
reporting periods (section 2). They sit at the bottom of the import layers,
beside `channelhub.lib`, so that channels, partners and the KPI engine all read
one definition without importing each other.
"""
