"""Benchmarks, run by `make bench` (`python -m benchmarks [names...] [--scale F]`).

Each module here other than `common` is one benchmark: a `DESCRIPTION` and a
`run(scale: float) -> list[Metric]`. A figure that can regress is compared with a baseline
measured in the same run (so results do not depend on the machine), and judged against a
limit on the ratio.
"""
