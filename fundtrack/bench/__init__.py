"""Benchmark helpers: ``flask --app fundtrack bench generate`` fills a database with a
province's worth of history (see ``generate.py``)."""
