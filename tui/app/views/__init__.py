"""Exploring one result: a stack of views (the query's result, and results derived from it by
find, filter, sort, frequency and profile), each a stored result the grid pages like any other."""
