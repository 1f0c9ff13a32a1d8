"""A pytest plugin that makes every Hypothesis test draw the same examples on every run.

The mutation run (``make mutation``) loads it with ``-p``: a mutant must be judged by the same
examples as the clean code and as every other mutant, and a failure found for one mutant must not
be replayed from the example database against the next. Loaded before the test modules are
imported, so the ``settings(...)`` objects they build inherit the profile.
"""
from __future__ import annotations

from hypothesis import settings

settings.register_profile("derandomized", derandomize=True, database=None, print_blob=False)
settings.load_profile("derandomized")
