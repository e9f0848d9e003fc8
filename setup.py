"""Build of Setu's one optional compiled kernel; everything else is in pyproject.toml.

``setu.engine.forecasting._kernel`` (C, no dependency beyond the Python headers) speeds up the
golden-section-optimised smoothing methods; see docs/architecture.md ("Decision: a compiled kernel
for the optimised smoothing methods"). It is optional: if it cannot be built, the install still
succeeds and the engine uses its pure-numpy path, which gives identical results.
"""
import sys

from setuptools import Extension, setup

# No floating-point contraction (fused multiply-add) and no fast-math: the kernel must round
# exactly like the numpy path and statsforecast.
_FLAGS = [] if sys.platform == "win32" else ["-O3", "-ffp-contract=off", "-fno-fast-math"]

setup(
    ext_modules=[
        Extension(
            "setu.engine.forecasting._kernel",
            ["src/setu/engine/forecasting/_kernel.c"],
            extra_compile_args=_FLAGS,
            optional=True,
        )
    ]
)
