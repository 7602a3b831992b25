"""Contracts with partners, their signed documents and compliance attestations."""
