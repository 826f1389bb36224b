"""Demo material: a fictional publisher site for the tests and ``make demo``."""
