"""Deal registration: partners claim customer opportunities; overlaps open
conflict cases; the nightly detection job.
"""
