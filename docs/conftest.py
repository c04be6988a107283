"""pytest runs the examples of every page here as doctests; the Sphinx configuration and extensions are not tests."""

collect_ignore = ["conf.py", "_ext", "_build"]
