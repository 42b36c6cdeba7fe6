"""Special funds, their kinds, budget lines, expenditure categories and earmarks."""
