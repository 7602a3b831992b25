"""The dashboards: the portfolio, a channel's dashboard, the attention list,
their charts, and the stored renders of their default views.
"""
