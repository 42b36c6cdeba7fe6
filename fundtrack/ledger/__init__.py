"""Money movements and balances: the checks and locks every movement of a fund goes through
(``checks``)."""
