"""Demand-forecasting engine: intermittent-demand methods over whole batches of series (numpy only).

Data layout (shared by every module of this package)
----------------------------------------------------
A batch of ``n`` demand series on a common grid of ``T`` periods is

* ``Y``: ``float64`` ndarray of shape ``(n_series, n_periods)``, non-negative demand per period,
  oldest period first; every series ends at the last period (column ``T - 1``);
* ``start``: optional ``int`` ndarray of shape ``(n_series,)``, the index of each series' first
  observed period. Periods before ``start`` are ignored (ragged series that begin later);
  ``None`` means 0 for every series. Within ``[start, T)`` a period without data is zero demand.

:class:`setu.engine.forecasting.panel.Panel` bundles ``Y`` and ``start`` with the series ids and
the period labels; :func:`setu.engine.forecasting.panel.panel_from_long` builds one from long
format ``unique_id, ds, y``.

Modules
-------
* ``panel``: :class:`Panel`, :func:`panel_from_long`, future period labels;
* ``classify``: Syntetos-Boylan-Croston classes (ADI / CV2);
* ``methods``: point forecasts (SES, SES-optimised, Croston, SBA, TSB, Croston-optimised, ADIDA,
  IMAPA), each ``method(Y, start=None, **params) -> PointForecast`` with a flat forecast
  ``mean`` of shape ``(n_series,)``; identical to statsforecast 2.x (parity tested to 1e-9);
* ``pipeline``: :func:`forecast_batch`, one call from histories to point forecasts plus their
  distribution (variance, quantiles, lead-time demand) for a block of series;
* ``distributions``, ``reliability``, ``selection``, ``evaluation``: forecast distributions,
  reliability-based forecasts, automatic selection and evaluation.

Missing values: NaN inside a series' observed span counts as zero demand; negative or infinite
demand is rejected (``ValueError``).

All functions are pure and vectorised across series: they loop over time (or over the number of
demands) only, never over series. Results of one series never depend on the other series of the
batch, so a batch can be split into blocks (e.g. with ``setu.kit.compute.run_blocks``) without
changing any number.
"""
