"""Money movements and balances, in one package: the balance rows the database keeps
(``models``), kept by the one posting function every flush calls (``postings``); the
checks and locks every movement goes through (``checks``); the balances the pages, API and
exports read, and the aggregate that recomputes them for any moment (``balances``); and the
comparison of the two that ``flask audit verify`` runs (``verify``)."""
