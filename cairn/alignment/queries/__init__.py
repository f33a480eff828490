"""Reads of the alignment app; import from the modules (`dependencies`, `map`, `health`)."""
