"""The console channel: the whole product in a terminal, with no accounts."""
