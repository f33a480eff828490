"""The demo organization Acme: the top layer, free to use every other app's services."""
