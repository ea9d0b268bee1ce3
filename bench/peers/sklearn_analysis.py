"""scikit-learn and SciPy on the same codes as bench/analysis.ts, one child process per run.

Reads raw little-endian float32 matrices written by the bench, runs the peer's method and
writes its timing and results as one JSON line on stdout; large results (linkage matrix,
embedding) go to raw float64 files in --out. Needs Debian's python3-sklearn (scikit-learn and
SciPy). Threads: whatever OMP_NUM_THREADS allows (the bench sets it).

  sklearn_analysis.py kmeans --x FILE --n N --d D --k 10 --n-init 4 --seed 0
  sklearn_analysis.py ward   --x FILE --n N --d D --out DIR
  sklearn_analysis.py tsne   --x FILE --n N --d D --perplexity 30 --iterations 1000 --out DIR --seed 0
"""
import argparse, json, os, sys, time

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["kmeans", "ward", "tsne", "version"])
    p.add_argument("--x"); p.add_argument("--n", type=int); p.add_argument("--d", type=int)
    p.add_argument("--k", type=int, default=10); p.add_argument("--n-init", type=int, default=4)
    p.add_argument("--perplexity", type=float, default=30.0); p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--seed", type=int, default=0); p.add_argument("--out")
    a = p.parse_args()
    import sklearn, scipy
    if a.what == "version":
        print(json.dumps({"sklearn": sklearn.__version__, "scipy": scipy.__version__})); return
    x = np.fromfile(a.x, dtype="<f4").reshape(a.n, a.d)
    if a.what == "kmeans":
        from sklearn.cluster import KMeans
        t = time.perf_counter()
        km = KMeans(n_clusters=a.k, n_init=a.n_init, init="k-means++", algorithm="lloyd", random_state=a.seed).fit(x)
        s = time.perf_counter() - t
        print(json.dumps({"seconds": s, "inertia": float(km.inertia_), "iterations": int(km.n_iter_),
                          "labels": km.labels_.astype(int).tolist()}))
    elif a.what == "ward":
        from scipy.cluster.hierarchy import linkage
        x64 = x.astype(np.float64)
        t = time.perf_counter()
        z = linkage(x64, method="ward")
        s = time.perf_counter() - t
        z.astype("<f8").tofile(os.path.join(a.out, "scipy-ward.f64"))
        print(json.dumps({"seconds": s}))
    elif a.what == "tsne":
        from sklearn.manifold import TSNE
        t = time.perf_counter()
        y = TSNE(n_components=2, perplexity=a.perplexity, n_iter=a.iterations, learning_rate=200.0,
                 early_exaggeration=12.0, init="pca", method="barnes_hut", angle=0.5,
                 random_state=a.seed).fit_transform(x)
        s = time.perf_counter() - t
        y.astype("<f8").tofile(os.path.join(a.out, "sklearn-tsne.f64"))
        print(json.dumps({"seconds": s}))


if __name__ == "__main__":
    sys.exit(main())
