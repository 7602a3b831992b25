"""The demo business's partners, deals, conflicts and incentive programmes
(manage.py seed_demo).
"""
