"""Static files: precompressed vendor files, on-the-fly gzip for the rest, a year's cache for
versioned addresses, revalidation otherwise; pages link Plotly only through the chart loader."""
from __future__ import annotations

import gzip

from setu.adapters import pages


def test_vendor_scripts_come_precompressed_and_cached_for_a_year(client):
    plain = (pages.STATIC_DIR / "vendor" / "plotly" / "plotly.min.js").read_bytes()
    r = client.get("/static/vendor/plotly/plotly.min.js?v=1", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip" and r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert int(r.headers["content-length"]) < len(plain) / 2       # about 1.4 MB for 4.8 MB
    assert r.content == plain                                        # httpx decodes it back, byte for byte
    assert "accept-encoding" in r.headers["vary"].lower()


def test_without_gzip_the_plain_file_and_without_version_revalidation(client):
    r = client.get("/static/vendor/htmx/htmx.min.js", headers={"accept-encoding": "identity"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    assert r.headers["cache-control"] == "no-cache"
    again = client.get("/static/vendor/htmx/htmx.min.js", headers={"accept-encoding": "identity",
                                                                    "if-none-match": r.headers["etag"]})
    assert again.status_code == 304


def test_own_files_are_compressed_on_the_fly(client):
    r = client.get("/static/js/setu.js?v=1", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.content == (pages.STATIC_DIR / "js" / "setu.js").read_bytes()


def test_the_precompressed_file_is_the_same_file():
    for gz in (pages.STATIC_DIR / "vendor").rglob("*.gz"):
        assert gzip.decompress(gz.read_bytes()) == gz.with_suffix("").read_bytes(), gz


def test_no_page_loads_plotly_by_itself(client):
    html = client.get("/login").text
    assert "plotly.min.js" not in html.split("data-plotly=")[0] + html.split("data-plotly=")[1].split(">", 1)[1]


def test_the_api_reference_page_names_only_local_files(client):
    r = client.get("/api/v1/docs")
    assert r.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in r.text and "cdn" not in r.text.lower()
    assert "script-src 'self';" in r.headers["content-security-policy"]
