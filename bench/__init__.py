"""Benchmarks of the Tokenwise units against a bare functions-framework function."""
