"""Allocations (资金下达) of a fund from a region to a descendant region, and recalls (收回)."""
