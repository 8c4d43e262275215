"""Training throughput of chapter 1's Fashion-MNIST model (`small_cnn`, 28 px grey, batch 128), back to back:

(a) a bare, hand-written PyTorch loop on preloaded tensors: the limit on this hardware;
(b) fastai's `Learner` on the same tensors;
(c) the workbook's real pipeline from the PNG files on disk, as the vision notebook uses it: `folder_dls` decodes the
    images once into a cached uint8 tensor and builds each batch with one index (`CachedImageDL`);
(c0) for comparison, fastai's item-by-item pipeline on the same files (`folder_dls(..., cache=False)`).

All use the same model in the channels-last layout the notebook trains it in. Each is timed over the same number of
images after a warm-up, repeated; medians, best runs, and the ratios b/a and c/a of both are reported.
"""
import statistics, time
import torch
from torch import nn

N, BS, REPEATS = 12800, 128, 7

def setup_data():
    "The first `N` training files, their pixels as floats in [0, 1] (decoded by the workbook's cache), and labels."
    from mylib.engine.images import folder_items, pixel_cache
    from mylib.engine.data import split_of
    files = [f for f in folder_items('fashion_mnist') if split_of(f) == 'train'][:N]
    x = pixel_cache(files, grey=True).float() / 255
    classes = sorted({f.parent.name for f in files})
    y = torch.tensor([classes.index(f.parent.name) for f in files])
    return files, x, y

def model():
    from mylib.vision import small_cnn
    torch.manual_seed(0); return small_cnn(10, width=16).to(memory_format=torch.channels_last)   # as the notebook trains it

def bare(x, y) -> float:
    "Images/s of a plain loop: shuffle, slice, forward, loss, backward, Adam step."
    m = model(); opt = torch.optim.Adam(m.parameters(), 1e-3); lf = nn.CrossEntropyLoss()
    def epoch():
        idx = torch.randperm(len(x))
        for i in range(0, len(x) - BS + 1, BS):
            b = idx[i:i + BS]; loss = lf(m(x[b]), y[b]); loss.backward(); opt.step(); opt.zero_grad()
    epoch()                                  # warm-up
    t = time.perf_counter(); epoch(); return (len(x) // BS * BS) / (time.perf_counter() - t)

def fastai_tensors(x, y) -> float:
    "Images/s of fastai's `Learner.fit` on the same tensors."
    from torch.utils.data import DataLoader, TensorDataset, BatchSampler, RandomSampler, SequentialSampler
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.losses import CrossEntropyLossFlat
    ds = TensorDataset(x, y)   # a batch of indices fetches a whole batch by tensor indexing, as the bare loop does
    batched = lambda sampler: DataLoader(ds, batch_size=None, sampler=BatchSampler(sampler, BS, drop_last=True))
    dls = DataLoaders(batched(RandomSampler(ds)), batched(SequentialSampler(range(BS))))
    learn = Learner(dls, model(), loss_func=CrossEntropyLossFlat())
    return _time_fit(learn)

def fastai_files(files, cache:bool=True) -> float:
    "Images/s of the workbook's pipeline: `folder_dls` from the PNG files on disk (cached pixels, or item by item)."
    from fastai.learner import Learner
    from mylib.engine.images import folder_dls
    dls = folder_dls('fashion_mnist', grey=True, bs=BS, n_train=len(files), drop_last=True, cache=cache)
    learn = Learner(dls, model())
    return _time_fit(learn)

def cache_build_s(files) -> dict:
    "Seconds to build the cached `DataLoaders`: decoding every image (first use), and loading the saved pixels (later uses)."
    from mylib.engine.images import folder_dls, folder_items, pixel_cache_path
    items = folder_items('fashion_mnist', n_train=len(files))
    pixel_cache_path(items, True).unlink(missing_ok=True)
    t = time.perf_counter(); folder_dls('fashion_mnist', grey=True, bs=BS, n_train=len(files)); first = time.perf_counter() - t
    t = time.perf_counter(); folder_dls('fashion_mnist', grey=True, bs=BS, n_train=len(files)); later = time.perf_counter() - t
    return dict(first=first, later=later, n=len(items))

def _time_fit(learn) -> float:
    from fastai.callback.core import CancelValidException, Callback
    class NoValid(Callback):
        def before_validate(self): raise CancelValidException()
    learn.add_cb(NoValid())
    with learn.no_bar(), learn.no_logging():
        learn.fit(1, 1e-3)                   # warm-up
        t = time.perf_counter(); learn.fit(1, 1e-3); dt = time.perf_counter() - t
    return len(learn.dls.train) * BS / dt

def run() -> dict:
    from mylib.engine.core import get_device
    get_device()
    files, x, y = setup_data()
    build = cache_build_s(files)
    runs = {k: [] for k in ('a', 'b', 'c', 'c0')}
    for _ in range(REPEATS):
        runs['a'].append(bare(x, y)); runs['b'].append(fastai_tensors(x, y))
        runs['c'].append(fastai_files(files)); runs['c0'].append(fastai_files(files, cache=False))
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratios = {k: sorted(r / a for r, a in zip(runs[k], runs['a'])) for k in ('b', 'c', 'c0')}   # per repeat, back to back
    best = {k: max(v) for k, v in runs.items()}     # timeit's convention: noise only ever slows a run down
    return dict(med=med, best=best, ratio={k: med[k] / med['a'] for k in ratios}, best_ratio={k: best[k] / best['a'] for k in ratios},
                range={k: (v[0], v[-1]) for k, v in ratios.items()}, runs=runs, build=build, n=len(x), repeats=REPEATS)

def rows(r:dict) -> list:
    row = lambda k, name, goal: (f"| {name} | {r['med'][k]:.0f} | {r['best'][k]:.0f} | {r['ratio'][k]:.2f} "
                                 f"({r['range'][k][0]:.2f}–{r['range'][k][1]:.2f}) | {r['best_ratio'][k]:.2f} | {goal} |")
    b = r['build']
    return ["## Training throughput (chapter 1's Fashion-MNIST `small_cnn`, 28 px, batch 128)", "",
            f"{r['n']} images per epoch, {r['repeats']} repeats of (a), (b), (c), (c0) back to back, each after a warm-up "
            "epoch. This machine's speed drifts by up to a quarter from one few-second run to the next (see (a) below), so the table "
            "gives the median and the best run of each, the ratio of the medians with the range of the per-repeat ratios, "
            "and the ratio of the best runs (timeit's convention: interference only ever slows a run down).", "",
            "| | median images/s | best images/s | ratio of medians (per-repeat range) | ratio of bests | goal |",
            "|---|---|---|---|---|---|",
            f"| (a) bare PyTorch loop, preloaded tensors | {r['med']['a']:.0f} | {r['best']['a']:.0f} | 1.00 | 1.00 | |",
            row('b', '(b) fastai `Learner`, same tensors', '≥ 0.95'),
            row('c', "(c) workbook pipeline: PNG files on disk, `folder_dls` (decoded once, batch-indexed)", '≥ 0.85'),
            row('c0', "(c0) for comparison: fastai's item-by-item pipeline on the same files", ''), "",
            "Every repeat, images/s: " + "; ".join(f"({k}) " + ", ".join(f"{v:.0f}" for v in vs) for k, vs in r['runs'].items()), "",
            f"Building (c)'s `DataLoaders` for {b['n']} images: {b['first']:.1f} s the first time (every PNG decoded, pixels "
            f"saved), {b['later']:.1f} s afterwards (saved pixels loaded).", ""]

if __name__ == '__main__':
    r = run(); print('\n'.join(rows(r)))
