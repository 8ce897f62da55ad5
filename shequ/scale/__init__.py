"""Scale data: a city (the real 重庆 divisions) or a synthetic country of communities,
with approved ledgers and built tallies, for `shequ gen-scale` and `make bench`."""
