"""The demo business's channels, objectives and brand audits (manage.py seed_demo)."""
