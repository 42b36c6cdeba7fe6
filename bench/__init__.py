"""The benchmark (``run.py``) and its data generator (``generate.py``): tools beside the
application, not shipped with it."""
