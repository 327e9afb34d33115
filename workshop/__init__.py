"""Use-Case Workshop: from application-owner interviews to tested detection use cases."""

__version__ = "0.1.0"
