"""The purchase model's maths alone, without Odoo or a database: the time of
a BG/NBD fit and of the expected purchases of every customer.

    python3 tests/benchmarks/bench_clv_fit.py [--customers 200000] [--repeat 3]

Customers are drawn from known BG/NBD parameters (``clv.simulate_bgnbd``,
the same as tests/test_lifecycle_clv.py), their age uniform in 30..90 weeks.
Prints the median time of each step over ``--repeat`` runs, and a JSON line
as the other benchmarks do. Not run by ``run_all.py``.
"""

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import benchlib
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
# The parameters tests/test_lifecycle_clv.py simulates from (TRUE there).
TRUE = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 2.5}


def load_clv():
    """crm_lifecycle's pure tools as a stand-alone package (as
    tests/conftest.py loads them): no ``odoo`` import."""
    folder = ROOT / "addons" / "crm_lifecycle" / "tools"
    spec = importlib.util.spec_from_file_location(
        "crm_lifecycle_tools",
        folder / "__init__.py",
        submodule_search_locations=[str(folder)],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.clv


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    clv = load_clv()
    T = np.random.default_rng(1).uniform(30, 90, args.customers)
    x, t_x, T = clv.simulate_bgnbd(**TRUE, T=T, n=args.customers, seed=1)
    fits, predictions = [], []
    for _ in range(args.repeat):
        tick = time.perf_counter()
        fit = clv.fit_bgnbd(x, t_x, T)
        fits.append(time.perf_counter() - tick)
        tick = time.perf_counter()
        clv.bgnbd_expected_purchases(
            fit["r"], fit["alpha"], fit["a"], fit["b"], 52, x, t_x, T
        )
        predictions.append(time.perf_counter() - tick)
    figures = {
        "customers": args.customers,
        "repeat": args.repeat,
        "converged": bool(fit["converged"]),
        "iterations": fit["iterations"],
        "fit_seconds": statistics.median(fits),
        "predict_seconds": statistics.median(predictions),
    }
    print(
        f"fit_bgnbd on {args.customers:,} customers: "
        f"{figures['fit_seconds']:.2f} s (median of {args.repeat}), "
        f"{fit['iterations']} iterations, converged {figures['converged']}"
    )
    print(
        f"expected purchases for {args.customers:,} customers: "
        f"{figures['predict_seconds']:.2f} s (median of {args.repeat})"
    )
    benchlib.emit(figures)


if __name__ == "__main__":
    main()
