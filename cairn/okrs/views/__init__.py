"""The OKR pages and authoring views, one module per kind of thing."""
