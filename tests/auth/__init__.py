"""Tests of the auth function and the shared auth code."""
