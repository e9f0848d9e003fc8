#!/usr/bin/env python3
"""Copy the web toolkit's files into src/setu/adapters/static/vendor/ (gitignored), to be served locally.

Run after ``npm ci`` (which fills ./node_modules from package-lock.json); Plotly's script comes
from the installed ``plotly`` Python package. Idempotent: a file already identical is left alone.
Never fetches anything from the network; exits 1 naming what is missing.

    npm ci && python scripts/install_assets.py
"""
from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "src" / "setu" / "adapters" / "static" / "vendor"

#: (source below node_modules, destination below static/vendor)
NPM_FILES = [
    ("bootstrap/dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css"),
    ("bootstrap/dist/css/bootstrap.min.css.map", "bootstrap/bootstrap.min.css.map"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js", "bootstrap/bootstrap.bundle.min.js"),
    ("bootstrap/dist/js/bootstrap.bundle.min.js.map", "bootstrap/bootstrap.bundle.min.js.map"),
    ("bootstrap/LICENSE", "bootstrap/LICENSE"),
    ("htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"),
    ("htmx.org/LICENSE", "htmx/LICENSE"),
    # the API reference (/api/v1/docs) drawn offline from the project's own files
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    ("swagger-ui-dist/LICENSE", "swagger-ui/LICENSE"),
]

#: scripts and style sheets also written as ``<file>.gz`` (served to browsers that accept gzip)
COMPRESS = (".js", ".css")


def _plotly_files() -> list[tuple[Path, str]]:
    try:
        import plotly
    except ImportError:
        return []
    pkg = Path(plotly.__file__).resolve().parent
    out = [(pkg / "package_data" / "plotly.min.js", "plotly/plotly.min.js")]
    lic = next((p for p in pkg.parent.glob("plotly-*.dist-info/licenses/LICENSE*")), None) or next(
        (p for p in pkg.parent.glob("plotly-*.dist-info/LICENSE*")), None)
    if lic is not None:
        out.append((lic, "plotly/LICENSE"))
    return out


def install(vendor: Path = VENDOR, node_modules: Path = NODE) -> tuple[int, int, list[str]]:
    """Copy every vendor file; return (copied, unchanged, missing)."""
    sources = [(node_modules / src, dst) for src, dst in NPM_FILES] + _plotly_files()
    if not any(dst == "plotly/plotly.min.js" for _, dst in sources):
        sources.append((Path("<python package plotly>"), "plotly/plotly.min.js"))
    copied = unchanged = 0
    missing: list[str] = []
    for src, dst in sources:
        target = vendor / dst
        if not src.is_file():
            missing.append(str(src))
            continue
        if target.is_file() and filecmp.cmp(src, target, shallow=False):
            unchanged += 1
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        shutil.copyfile(src, tmp)
        tmp.replace(target)
        copied += 1
    for path in sorted(vendor.rglob("*")):
        if path.suffix in COMPRESS and path.is_file():
            _gzip(path)
    return copied, unchanged, missing


def _gzip(path: Path) -> None:
    """``path.gz`` beside ``path`` (deterministic: no name or time in the header), if out of date."""
    import gzip

    target = path.with_name(path.name + ".gz")
    if target.is_file() and target.stat().st_mtime >= path.stat().st_mtime:
        return
    tmp = target.with_name(target.name + ".tmp")
    with open(path, "rb") as src, open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as out:
            shutil.copyfileobj(src, out)
    tmp.replace(target)


def main() -> int:
    copied, unchanged, missing = install()
    for m in missing:
        print(f"missing: {m}", file=sys.stderr)
    if missing:
        print("run `npm ci` at the repository root and install the Python package (pip install -e .) first",
              file=sys.stderr)
        return 1
    print(f"web assets in {VENDOR.relative_to(ROOT)}: {copied} copied, {unchanged} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
