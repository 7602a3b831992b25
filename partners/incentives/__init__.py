"""Incentive programmes: rebates, per-unit bonuses, market development funds,
enrolments, claims and payouts.
"""
