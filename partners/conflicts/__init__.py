"""Channel conflicts: cases and their timeline, the price list and observed
partner prices, pricing and territory detection.
"""
