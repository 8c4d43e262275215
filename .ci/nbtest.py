"""`nbdev-test`, with the notebooks started longest first.

nbdev-test hands its workers the notebooks in name order, so with two workers the longest one (40_nlp, about six
minutes) starts last and the suite ends waiting for it alone. This runs nbdev's own `nbdev_test` with the same
arguments; only the order in which fastcore's `parallel` starts the notebooks changes: by their times in the notebook
table of bench/RESULTS.md (the last `make bench`), longest first, the usual greedy way to share a few long jobs among
a pool of workers. Notebooks missing from the table start last, in name order. Results come back in name order.
"""
import re
from pathlib import Path
import fastcore.parallel, nbdev.test

RESULTS = Path(__file__).resolve().parent.parent/'bench'/'RESULTS.md'

def expected_secs(path=RESULTS) -> dict:
    "Seconds each notebook took in the notebook-times table of bench/RESULTS.md (empty if there is none)."
    text = Path(path).read_text() if Path(path).exists() else ''
    return {name: int(s) for name, s in re.findall(r'^\| (\S+\.ipynb) \| (\d+) \|', text, flags=re.M)}

def parallel_longest_first(f, items, *args, secs:dict|None=None, **kwargs):
    "fastcore's `parallel` over `items`, started longest first by `secs` (default: `expected_secs()`); the results in the order of `items`."
    secs = expected_secs() if secs is None else secs
    order = sorted(range(len(items)), key=lambda i: -secs.get(Path(items[i]).name, 0))
    done = fastcore.parallel.parallel(f, [items[i] for i in order], *args, **kwargs)
    out = [None] * len(items)
    for i, r in zip(order, done): out[i] = r
    return out

nbdev.test.parallel = parallel_longest_first   # the name nbdev_test calls to run its notebooks

if __name__ == '__main__': nbdev.test.nbdev_test()
