"""Bolt listeners, one module per family, each with `register(app, core, people)`."""
