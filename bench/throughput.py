"""Training throughput of chapter 1's Fashion-MNIST model (`small_cnn`, 28 px grey, batch 128), three ways, back to back:

(a) a bare, hand-written PyTorch loop on preloaded tensors: the limit on this hardware;
(b) fastai's `Learner` on the same tensors;
(c) the workbook's real pipeline, `folder_dls` reading the PNG files from disk (as the vision notebook does).

Each is timed over the same number of images after a warm-up, repeated; medians and the ratios b/a and c/a are reported.
"""
import statistics, time
import numpy as np, torch
from torch import nn

N, BS, REPEATS = 6400, 128, 5

def setup_data():
    from mylib.data import get_data
    from mylib.vision import folder_items
    files = [f for f in folder_items('fashion_mnist') if f.parent.parent.name == 'train'][:N]
    from PIL import Image
    x = torch.stack([torch.tensor(np.asarray(Image.open(f)), dtype=torch.float)[None] / 255 for f in files])
    classes = sorted({f.parent.name for f in files})
    y = torch.tensor([classes.index(f.parent.name) for f in files])
    return files, x, y

def model():
    from mylib.vision import small_cnn
    torch.manual_seed(0); return small_cnn(10, width=16)

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

def fastai_files(files) -> float:
    "Images/s of the workbook's pipeline: `folder_dls` from the PNG files on disk."
    from fastai.learner import Learner
    from mylib.vision import folder_dls
    dls = folder_dls('fashion_mnist', grey=True, bs=BS, n_train=len(files), drop_last=True)
    learn = Learner(dls, model())
    return _time_fit(learn)

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
    from mylib.core import get_device
    get_device()
    files, x, y = setup_data()
    runs = {k: [] for k in 'abc'}
    for _ in range(REPEATS):
        runs['a'].append(bare(x, y)); runs['b'].append(fastai_tensors(x, y)); runs['c'].append(fastai_files(files))
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratios = {k: sorted(r / a for r, a in zip(runs[k], runs['a'])) for k in 'bc'}   # per repeat, back to back
    return dict(a=med['a'], b=med['b'], c=med['c'], b_a=statistics.median(ratios['b']), c_a=statistics.median(ratios['c']),
                b_range=(ratios['b'][0], ratios['b'][-1]), c_range=(ratios['c'][0], ratios['c'][-1]), n=len(x), repeats=REPEATS)

def rows(r:dict) -> list:
    return ["## Training throughput (chapter 1's Fashion-MNIST `small_cnn`, 28 px, batch 128)", "",
            f"{r['n']} images per epoch, {r['repeats']} repeats of (a), (b), (c) back to back, each after a warm-up epoch; "
            "medians, and the median (range) of the per-repeat ratios.", "",
            "| | images/s | ratio to (a) | goal |", "|---|---|---|---|",
            f"| (a) bare PyTorch loop, preloaded tensors | {r['a']:.0f} | 1.00 | |",
            f"| (b) fastai `Learner`, same tensors | {r['b']:.0f} | {r['b_a']:.2f} ({r['b_range'][0]:.2f}–{r['b_range'][1]:.2f}) | ≥ 0.95 |",
            f"| (c) workbook pipeline, PNG files on disk | {r['c']:.0f} | {r['c_a']:.2f} ({r['c_range'][0]:.2f}–{r['c_range'][1]:.2f}) | ≥ 0.85 |", ""]

if __name__ == '__main__':
    r = run(); print('\n'.join(rows(r)))
