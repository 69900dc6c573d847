"""Budgets and spending: budget lines, transactions, variance, earned value, red flags."""
