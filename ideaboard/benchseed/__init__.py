"""Large generated boards for benchmarks: the plan (plan.py), the fast bulk load (bulkload.py)
and the command's work (seed.py). Not used by the running site."""
