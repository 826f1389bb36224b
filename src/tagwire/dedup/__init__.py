"""Which articles are copies of one another: ``exact`` (canonical URL, normalised-text
hash, title key, which copy survives) and ``near`` (MinHash fingerprints, LSH band keys,
the near-duplicate decision). Pure: the store answers the lookups, ``ingest.decide`` asks.
"""
