"""Brand consistency audits: a channel's checklist scored item by item, on a cadence."""
