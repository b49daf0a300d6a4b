"""Taskboard in a database (lesson 07): SQLAlchemy 2 async models, the engine, and the store."""
