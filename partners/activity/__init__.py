"""Activity with a partner: interactions and regular performance reviews with
feedback and action items.
"""
