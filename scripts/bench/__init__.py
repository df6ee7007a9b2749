"""`make bench` and `make soak`: the platform's throughput, latency, CPU and memory on this
machine, beside bare pipelines of the same topology (issue #7). Figures, not assertions.

    python -m scripts.bench [--drain N] [--rates 100,300] [--runs 3]   # make bench
    python -m scripts.bench.soak [--rate 100] [--minutes 10]           # make soak
"""
