#!/usr/bin/python3
"""tower_peer.py -- the peer of bench_tower.sh: exact inner-product top-k
with Faiss IndexFlatIP on the very vectors bench/tower_bench searched,
and raw sgemm throughput of the same shape through numpy (OpenBLAS).

usage: tower_peer.py DIR N_USERS N_ITEMS DIM TOP THREADS
DIR holds users.f32, items.f32 (row-major float32) and topk.u32 (dualrec's
result, N_ITEMS x TOP).  Prints "key value" lines.
"""
import os
import sys
import time

import numpy as np

try:
    import faiss
except ImportError:
    faiss = None


def main():
    d, nu, ni, dim, top, threads = sys.argv[1], *map(int, sys.argv[2:7])
    users = np.fromfile(os.path.join(d, "users.f32"), dtype=np.float32)
    items = np.fromfile(os.path.join(d, "items.f32"), dtype=np.float32)
    ours = np.fromfile(os.path.join(d, "topk.u32"), dtype=np.uint32)
    users = users.reshape(nu, dim)
    items = items.reshape(ni, dim)
    ours = ours.reshape(ni, top)
    flop = 2.0 * nu * ni * dim

    if faiss is None:
        print("faiss_s nan")
    else:
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexFlatIP(dim)
        index.add(users)
        t0 = time.perf_counter()
        _, idx = index.search(items, top)
        dt = time.perf_counter() - t0
        print("faiss_version %s" % faiss.__version__)
        print("faiss_s %.3f" % dt)
        print("faiss_gflops %.1f" % (flop / dt / 1e9))
        # Agreement: share of dualrec's top users that Faiss also returns
        # (ties at the boundary may differ; both are exact).
        sample = min(ni, 2000)
        same = 0
        for r in range(sample):
            same += len(set(ours[r].tolist()) & set(idx[r].tolist()))
        print("faiss_agreement %.4f" % (same / (sample * top)))

    # Raw sgemm of the shape the search is made of (items x users), in
    # blocks so that the output fits in memory.
    m, n = min(ni, 4096), min(nu, 65536)
    a = np.ascontiguousarray(items[:m])
    b = np.ascontiguousarray(users[:n])
    c = np.empty((m, n), dtype=np.float32)
    np.matmul(a, b.T, out=c)
    reps = 3
    t0 = time.perf_counter()
    for _ in range(reps):
        np.matmul(a, b.T, out=c)
    dt = time.perf_counter() - t0
    print("numpy_sgemm_gflops %.1f" % (2.0 * m * n * dim * reps / dt / 1e9))


if __name__ == "__main__":
    main()
