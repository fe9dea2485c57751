"""Readers and value parsers: source data in, typed values and rejected rows out. No Django."""
