"""Shared building blocks: money, errors, versioning glue, db mixins, permissions helpers."""
