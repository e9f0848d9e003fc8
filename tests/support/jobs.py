"""Following background jobs from tests: through the API (``GET /api/v1/jobs/{id}``) and through
the page ``/jobs/{id}`` the browser polls (htmx fragment, ``HX-Redirect`` when done)."""
from __future__ import annotations

import time

#: Ask a route that starts a job to wait for it (RFC 7240) and answer as it did before jobs: 201.
WAIT = {"Prefer": "wait=60"}


def wait_job(client, job_id: str, *, timeout: float = 60.0, headers: dict | None = None) -> dict:
    """The job (``GET /api/v1/jobs/{id}``) once it has succeeded or failed."""
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/api/v1/jobs/{job_id}", headers=headers or {})
        assert r.status_code == 200, r.text
        job = r.json()
        if job["state"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['state']} after {timeout} s"
        time.sleep(0.05)


def follow_job_page(client, location: str, *, timeout: float = 60.0) -> str:
    """The address the page ``/jobs/{id}`` (``location``, where a form redirected) sends the
    browser to once the job has succeeded (as htmx does: the fragment answers ``HX-Redirect``)."""
    assert location.startswith("/jobs/"), location
    page = client.get(location, headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'id="job-status"' in page.text, page.text
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(location, params={"fragment": 1}, headers={"Accept": "text/html", "HX-Request": "true"})
        if r.status_code == 204:
            return r.headers["HX-Redirect"]
        assert r.status_code == 200, r.text
        assert 'id="job-error"' not in r.text, r.text
        assert time.monotonic() < deadline, f"{location} not done after {timeout} s"
        time.sleep(0.05)
