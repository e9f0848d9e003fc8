"""Contracts between the partners: parties, kind, value, milestones and deliveries, and the portfolio in a chosen currency."""
