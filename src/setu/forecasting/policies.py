"""Forecasting permissions: forecast runs over the database, their distributions and accuracy.
A run covers the sites its author may see; its results follow those sites."""
from __future__ import annotations

from setu.kit.access import declare

declare("forecasting.run.read")
declare("forecasting.run.create", description="start a forecast run, or forecast a file")
