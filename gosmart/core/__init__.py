"""Pieces every domain shares, below all of them in the import floors: the transaction
boundary, and (as they move here) the clock, counters, forms and responses."""
