"""Code shared by several test modules (imported as ``tests.support.*``; no test module imports another)."""
