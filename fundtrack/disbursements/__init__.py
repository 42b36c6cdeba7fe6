"""Disbursements (支出) to beneficiaries and projects; beneficiaries and benefit rules."""
