"""The partner directory: partners, tiers, territories, status, contacts and
onboarding. Every other partner sub-domain builds on it.
"""
