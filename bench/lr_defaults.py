"""Is `fine_tune`'s default learning rate a sound stand-in for `lr_find` on a frozen pretrained model (issue 20)?

When this was written, `mylib.engine.speed.auto_fit` skipped `lr_find` for a frozen pretrained model and fine-tuned at
fastai's default (2e-3), because on a CPU `lr_find`'s 100 steps at 128 pixels take minutes. (It now takes the vision
chapter's measured recipe, 1e-2, for a pretrained image classifier: `RECIPES` in `mylib.engine.speed`.) This measures both sides of that choice on photos at 128
pixels (Fashion-MNIST items on real photo crops, resized from 64): how long `lr_find` takes and what it suggests, and
the held-out test accuracy of the same fine-tuning (EfficientNet-Lite0, the same epochs and data) at the default and
at `lr_find`'s suggestion, for several seeds.

    python bench/lr_defaults.py [seeds]     # prints the markdown section `bench/run.py` puts in RESULTS.md
"""
import inspect, sys, time
import torch

N_TRAIN, N_VALID, N_TEST, SIZE, EPOCHS = 1000, 300, 1000, 128, 3

def learner(seed:int):
    from fastai.vision.all import Resize, accuracy
    from mylib.engine.core import seed_everything
    from mylib.engine.images import folder_dls
    from mylib.vision import lite0_learner
    seed_everything(seed)
    return lite0_learner(folder_dls('fashion_clutter', item_tfms=Resize(SIZE), bs=32, n_train=N_TRAIN, n_valid=N_VALID), metrics=accuracy)

def test_accuracy(seed:int, lr:float) -> float:
    from mylib.engine.data import evaluate_test, held_out
    learn = learner(seed)
    with learn.no_bar(), learn.no_logging(): learn.fine_tune(EPOCHS, lr)
    return evaluate_test(learn, items=held_out('fashion_clutter')[:N_TEST])['accuracy']

def run(seeds=(1, 2)) -> list:
    from fastai.learner import Learner
    import fastai.callback.schedule   # adds fine_tune to Learner
    default = inspect.signature(Learner.fine_tune).parameters['base_lr'].default
    out = []
    for seed in seeds:
        learn = learner(seed)
        t = time.perf_counter()
        with learn.no_bar(): found = learn.lr_find(show_plot=False).valley
        find_s = time.perf_counter() - t
        t = time.perf_counter(); acc_default = test_accuracy(seed, default); fit_s = time.perf_counter() - t
        out.append(dict(seed=seed, find_s=find_s, found=found, fit_s=fit_s, default=default,
                        acc_default=acc_default, acc_found=test_accuracy(seed, found)))
        print(out[-1], file=sys.stderr)
    return out

def rows(res) -> list:
    r = ["## Learning rate without lr_find (a frozen pretrained model)", "",
         f"EfficientNet-Lite0 fine-tuned ({EPOCHS} epochs after a frozen one) on {N_TRAIN} Fashion-MNIST-on-photo images at "
         f"{SIZE} px, {N_VALID} validation, test accuracy on {N_TEST} held-out images; {torch.get_num_threads()} threads.", "",
         "| seed | lr_find (s) | its suggestion | fine-tuning (s) | test acc at the default | test acc at the suggestion |",
         "|---|---|---|---|---|---|"]
    r += [f"| {x['seed']} | {x['find_s']:.0f} | {x['found']:.1e} | {x['fit_s']:.0f} | {x['acc_default']:.4f} ({x['default']:g}) | "
          f"{x['acc_found']:.4f} |" for x in res]
    return r + [""]

if __name__ == '__main__':
    from mylib.engine.core import get_device
    get_device()
    print('\n'.join(rows(run(tuple(map(int, sys.argv[1:])) or (1, 2)))))
