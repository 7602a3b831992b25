"""The channels a business sells through, and the objectives set for each
(status lifecycle, owners, targets)."""
