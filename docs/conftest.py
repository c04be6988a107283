"""pytest runs the examples of every page here as doctests; the Sphinx configuration is not a test module."""

collect_ignore = ["conf.py"]
