"""The scale benchmark: `cairn bench generate` builds a synthetic organization, `cairn bench run`
measures it (in process against the raw-SQL floor, and over HTTP). Not part of the package
nor of the test run: it runs from a source checkout."""
