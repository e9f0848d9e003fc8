"""Reciprocal logistic support between the two parties: agreement, ceilings, claims, double-entry postings, signatures."""
