"""Audit trail: continuum versions, transaction meta, history and (later) the seal chain."""
