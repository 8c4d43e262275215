"""The chapter results table: one row per result, every number read from results/<chapter>.json, which each notebook
writes when it runs (under nbdev-test). Only the labels below are written by hand.

`python bench/results_table.py` prints it; `make bench` puts it into bench/RESULTS.md, and README.md shows that section.
"""
from pathlib import Path

f3 = lambda v: f'{v:.3f}'

# chapter, dataset (test split), model, metric, test figure, baseline, baseline figure, fast.ai book's figure
ROWS = [
    ('vision', 'Clothes on photos, ~50 labels per class (2,000 test images)', 'EfficientNet-Lite0, fine-tuned', 'accuracy',
     lambda r: f"{r['clutter_test_accuracy']:.3f} (same net from scratch {r['clutter_scratch_accuracy']:.3f})",
     'logistic regression on pixels', lambda r: f3(r['clutter_pixels_accuracy']), ''),
    ('vision', 'Fashion-MNIST (10,000 test images)', 'small CNN from scratch', 'accuracy',
     lambda r: f3(r['fashion_test_accuracy']), 'logistic regression on pixels', lambda r: f3(r['fashion_baseline_accuracy']), ''),
    ('segmentation', 'nuclei (8 test tiles)', 'U-Net, Lite0 encoder', 'foreground Dice',
     lambda r: f3(r['test_dice']), 'brightness threshold', lambda r: f3(r['baseline_dice']), ''),
    ('segmentation', 'Fashion scenes, 11 classes (500 test scenes)', 'U-Net, Lite0 encoder', 'pixel accuracy (mean IoU)',
     lambda r: f"{r['scenes_pixel_acc']:.3f} ({r['scenes_mean_iou']:.3f})", 'all background', lambda r: f3(r['scenes_all_background']), ''),
    ('tabular', 'Adult census income', '`tabular_learner`', 'accuracy',
     lambda r: f3(r['test_accuracy']), 'HistGradientBoosting', lambda r: f3(r['baseline_accuracy']), '0.846'),
    ('tabular_further', 'Adult census income', '`tabular_learner` + piecewise-linear encoding', 'accuracy',
     lambda r: f"{r['test_accuracy']:.3f} (plain net {r['plain_net_accuracy']:.3f})", 'HistGradientBoosting',
     lambda r: f3(r['baseline_accuracy']), '0.846'),
    ('collab', 'MovieLens 100k (10% test ratings)', 'one dot-product model, 50 factors', 'MSE (validation)',
     lambda r: f"{r['test_mse']:.3f} ({r['valid_mse']:.3f})", 'user + item biases only', lambda r: f3(r['baseline_mse']), '0.822 (validation)'),
    ('collab_further', 'MovieLens 100k (10% test ratings)', '4 dot-product models + item kNN, blended', 'MSE (validation)',
     lambda r: f"{r['blend_test_mse']:.3f} ({r['blend_valid_mse']:.3f}); one dot product {r['test_mse']:.3f}", 'user + item biases only',
     lambda r: f3(r['baseline_mse']), '0.822 (validation)'),
    ('cleaning', 'Fashion-MNIST, 3,000 with 10% labels flipped', 'small CNN, retrained after cleaning', 'accuracy',
     lambda r: f3(r['test_acc_after']), 'same, before cleaning', lambda r: f3(r['test_acc_before']), ''),
    ('deployment', 'Clothes on photos, ~50 labels per class (2,000 test images)', 'Lite0 with data augmentation', 'accuracy',
     lambda r: f3(r['test_acc_aug']), 'without augmentation', lambda r: f3(r['test_acc_no_aug']), ''),
    ('foundations', 'MNIST 3 vs 7 (150 test images)', 'two-layer net written by hand', 'accuracy',
     lambda r: f3(r['test_acc']), 'pixel similarity to the mean 3 and 7', lambda r: f3(r['baseline_acc']), ''),
    ('nlp', 'Rotten Tomatoes snippets (1,276 test)', 'MiniLM, fine-tuned', 'accuracy',
     lambda r: f3(r['test_acc']), 'TF-IDF + logistic regression', lambda r: f3(r['baseline_acc']), ''),
    ('nlp', 'Rotten Tomatoes snippets (1,276 test)', 'small BERT from scratch', 'accuracy',
     lambda r: f3(r['scratch_acc']), 'TF-IDF + logistic regression', lambda r: f3(r['baseline_acc']), ''),
]

def rows() -> list:
    "Markdown lines of the table, from the chapters' recorded results; a chapter not yet run says so."
    from mylib.engine.core import load_results
    res = load_results()
    out = ["## Chapter results (from the notebooks' own runs)", "",
           "Held-out test split of each dataset; every figure is read from `results/<chapter>.json`, written by the "
           "chapter's notebook when it ran (size, torch threads and the notebook's wall time are from that run).", "",
           "| chapter | dataset | model | metric | result | baseline | baseline result | fast.ai book | size | wall |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for ch, data, model, metric, val, base, base_val, book in ROWS:
        r = res.get(ch)
        if r is None: out.append(f"| {ch} | {data} | {model} | {metric} | not run yet | {base} | | {book} | | |"); continue
        try: v, bv = val(r), base_val(r)
        except KeyError as e: v, bv = f'missing {e} (rerun the notebook)', ''
        out.append(f"| {ch} | {data} | {model} | {metric} | {v} | {base} | {bv} | {book} | {r.get('size')}, "
                   f"{r.get('threads')} thread(s) | {r.get('wall_s', 0):.0f} s |")
    return out + [""]

if __name__ == '__main__': print('\n'.join(rows()))
