"""How well do the two rankings of the cleaning chapter find wrong labels (issue 34)?

In sample: `rank_by_loss`, every training image scored by the model trained on it. Out of sample:
`out_of_sample_probs` + `rank_probs`, every training image scored by the one of 3 models (3-fold cross-validation)
that never saw it, with cleanlab's estimate of how many labels are wrong. Measured on two real image sets from the
registry, each with a recorded 10% of its training labels moved to a wrong class (`flip_labels`), with the chapter's
small CNN trained two ways: briefly (the chapter's 4 epochs on 3,000 images) and long enough to memorise its training
images (40 epochs on 600, exercise 9's setting). For each: precision of the top 5%, recall of the top 15%, cleanlab's
flags (how many, how many of them are flips, how many flips they hold), its estimate against the flips made, the test
accuracy after an oracle fixes the flips in the top 15% of each ranking and the model is retrained, and the time of
the folds against one training. Several seeds; the worst run is what a claim may rely on.

    python bench/label_errors.py [seeds]    # prints its section and puts it in bench/RESULTS.md (`make bench` runs it too)
"""
import sys, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd

HERE = Path(__file__).resolve().parent
SETTINGS = {'brief (4 epochs, 3,000 images)': dict(n_train=3000, epochs=4), 'memorising (40 epochs, 600 images)': dict(n_train=600, epochs=40)}
DATASETS = {'fashion_mnist': 1000, 'mnist_5k': 750}   # and the validation images each gets

def trainer(epochs:int):
    "The cleaning chapter's small CNN and its one-cycle training at 5e-3, quiet."
    from fastai.vision.all import Learner, accuracy
    from mylib.vision import small_cnn
    def train(dls):
        learn = Learner(dls, small_cnn(len(dls.vocab), width=16), metrics=accuracy)
        with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, 5e-3)
        return learn
    return train

def scores(ranked:pd.DataFrame, flipped:dict) -> dict:
    "Precision of the top 5% and recall of the top 15% of the training rows of `ranked`."
    r = ranked[ranked.split == 'train'].reset_index(drop=True)
    hit, k5, k15 = r.path.isin(list(flipped)), int(0.05 * len(r)), int(0.15 * len(r))
    return dict(p5=hit[:k5].mean(), r15=hit[:k15].sum() / len(flipped), top15=list(r.path[:k15]))

def retrained_accuracy(work:Path, source:str, top:list, flipped:dict, train) -> float:
    "Test accuracy after fixing the flips among `top` in a copy of `work` and retraining."
    import shutil
    from mylib.engine.data import evaluate_test
    from mylib.engine.images import folder_dls
    with tempfile.TemporaryDirectory() as d:
        copy = Path(d)/'copy'; shutil.copytree(work, copy)
        for p in top:
            if p in flipped:
                src = copy/Path(p).relative_to(work); shutil.move(src, src.parent.parent/flipped[p]/src.name)
        return evaluate_test(train(folder_dls(copy, grey=True, bs=64)), source)['accuracy']

def run_one(source:str, setting:str, seed:int) -> dict:
    from mylib.engine.core import seed_everything
    from mylib.engine.data import evaluate_test
    from mylib.engine.images import folder_dls
    from mylib.cleaning import flip_labels, rank_by_loss, out_of_sample_probs, rank_probs, estimate_label_errors
    cfg = SETTINGS[setting]; train = trainer(cfg['epochs'])
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)/'noisy'
        seed_everything(seed)
        flipped = flip_labels(source, work, cfg['n_train'], DATASETS[source], frac=0.1, seed=seed)
        t = time.perf_counter(); learn = train(folder_dls(work, grey=True, bs=64)); one_s = time.perf_counter() - t
        acc_noisy = evaluate_test(learn, source)['accuracy']
        ins = scores(rank_by_loss(learn), flipped)
        t = time.perf_counter()
        fp = out_of_sample_probs(work, train, k=3, seed=seed, grey=True, bs=64)
        folds_s = time.perf_counter() - t
        ranked = rank_probs(fp); oos = scores(ranked, flipped)
        flagged = ranked[(ranked.split == 'train') & ranked.issue]
        est = int(estimate_label_errors(fp.only('train')).estimated.sum())
        return dict(dataset=source, setting=setting, seed=seed, in_p5=ins['p5'], in_r15=ins['r15'], oos_p5=oos['p5'], oos_r15=oos['r15'],
                    flagged=len(flagged), flag_precision=flagged.path.isin(list(flipped)).mean(),
                    flag_recall=flagged.path.isin(list(flipped)).sum() / len(flipped), estimate=est, flips=len(flipped),
                    acc_noisy=acc_noisy, acc_in=retrained_accuracy(work, source, ins['top15'], flipped, train),
                    acc_oos=retrained_accuracy(work, source, oos['top15'], flipped, train), one_s=one_s, folds_s=folds_s)

def rows(res:list) -> list:
    "The markdown section: worst and median run per dataset and setting."
    import torch
    df = pd.DataFrame(res)
    out = ["## Finding wrong labels: in sample vs out of sample (3 folds) with cleanlab's estimate", "",
           f"10% of the training labels flipped; the cleaning chapter's small CNN; torch threads: {torch.get_num_threads()}; "
           f"seeds {sorted(set(df.seed))}. Each cell: worst run (median). *Precision 5%*: flips among the top 5% of the "
           "training images; *recall 15%*: the share of all flips in the top 15%; *flags*: images cleanlab's "
           "`find_label_issues` marks, the share of them that are flips and the share of the flips they hold; *estimate*: "
           "cleanlab's count of wrong training labels against the flips made; *retrained*: test accuracy after an oracle "
           "fixes the flips in the top 15% of that ranking (noisy: before); *time*: the 3 folds / one training.", "",
           "| data | training | precision 5%: in / out | recall 15%: in / out | flags (precision, recall) | estimate / flips | retrained: noisy / in / out | time folds / one |",
           "|---|---|---|---|---|---|---|---|"]
    wm = lambda s, worst=min: f"{worst(s):.3f} ({s.median():.3f})"
    for (ds, st), g in df.groupby(['dataset', 'setting'], sort=False):
        out.append(f"| {ds} | {st} | {wm(g.in_p5)} / {wm(g.oos_p5)} | {wm(g.in_r15)} / {wm(g.oos_r15)} | "
                   f"{int(g.flagged.median())} ({wm(g.flag_precision)}, {wm(g.flag_recall)}) | "
                   f"{int(g.estimate.median())} / {int(g.flips.median())} (range {g.estimate.min()}–{g.estimate.max()}) | "
                   f"{wm(g.acc_noisy)} / {wm(g.acc_in)} / {wm(g.acc_oos)} | {(g.folds_s / g.one_s).median():.1f}× |")
    return out + [""]

def run(seeds=(1, 2, 3)) -> list:
    "Every dataset, setting and seed: one dict of figures each."
    res = []
    for source in DATASETS:
        for setting in SETTINGS:
            for seed in seeds:
                res.append(run_one(source, setting, seed)); print(res[-1], file=sys.stderr, flush=True)
    return res

def put_section(section:list, path=HERE/'RESULTS.md'):
    "Replace the section with `section`'s title in RESULTS.md (or insert it before the notebook times)."
    text, title = path.read_text(), section[0]
    if title in text:
        head, rest = text.split(title, 1)
        tail = rest[rest.index('\n## '):] if '\n## ' in rest else ''
        text = head + '\n'.join(section) + tail
    else:
        head, tail = text.split('## Notebook times', 1)
        text = head + '\n'.join(section) + '\n## Notebook times' + tail
    path.write_text(text)

if __name__ == '__main__':
    from mylib.engine.core import get_device
    get_device()
    section = rows(run([int(s) for s in sys.argv[1:]] or [1, 2, 3]))
    put_section(section); print('\n'.join(section))
