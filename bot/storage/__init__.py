"""Relational storage: typed models, the engine, and repositories named for the product's questions."""
