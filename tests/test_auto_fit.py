"auto_fit's choices: on each chapter's own data, exactly the chapter's recipe; and nothing that depends on the machine's load."
import pytest
from mylib.engine.speed import fit_plan, RECIPES

def vision():
    from fastai.vision.all import Resize, accuracy
    from mylib.workbook import folder_dls
    from mylib.vision import lite0_learner
    return lite0_learner(folder_dls('fashion_clutter', n_train=500, n_valid=200, bs=32, item_tfms=Resize(64)), metrics=accuracy)

def segmentation():
    from mylib.workbook import train_valid
    from mylib.segmentation import seg_dls, lite0_unet
    return lite0_unet(seg_dls('nuclei', train_valid('nuclei'), bs=8, flips=True))

def tabular():
    from fastai.tabular.all import tabular_learner, accuracy
    from mylib.workbook import train_valid
    from mylib.tabular import clean_table, table_dls, ADULT_CAT, ADULT_CONT, ADULT_Y, ADULT_LOG
    df = clean_table(train_valid('adult'), log_cols=ADULT_LOG)
    return tabular_learner(table_dls(df, ADULT_CAT, ADULT_CONT, ADULT_Y), layers=[200, 100], metrics=accuracy)

def collab():
    from fastai.collab import collab_learner
    from mylib.collab import collab_dls, movielens_ratings
    return collab_learner(collab_dls(movielens_ratings()), n_factors=50, y_range=(0, 5.5))

def _nlp_dls():
    from mylib.workbook import train_valid, minilm_tokenizer
    from mylib.nlp import text_dls
    df = train_valid('rotten_tomatoes'); train_df, valid_df = df[~df.is_valid], df[df.is_valid]
    tok = minilm_tokenizer()
    return tok, text_dls(tok, train_df.sample(6000, random_state=0), valid_df, ['rotten', 'fresh'])

def nlp():
    from mylib.workbook import minilm_classifier
    from mylib.nlp import hf_learner, label_maps
    return hf_learner(_nlp_dls()[1], minilm_classifier(2, **label_maps(['rotten', 'fresh'])))

def nlp_scratch():
    from mylib.nlp import hf_learner, scratch_classifier
    tok, dls = _nlp_dls()
    return hf_learner(dls, scratch_classifier(tok, ['rotten', 'fresh']))

# each chapter's training call at `quick` size: fine_tune(6, 1e-2), fine_tune(12, 2e-3), fit_one_cycle(5, 1e-2, wd=0.1),
# fit_one_cycle(5, 5e-3, wd=0.3), fit_one_cycle(2, 1e-4)
CHAPTERS = [(vision, 'pretrained image classifier', 6, 1e-2, None, True),
            (segmentation, 'pretrained U-Net', 12, 2e-3, None, True),
            (tabular, 'tabular net', 5, 1e-2, 0.1, False),
            (collab, 'collaborative filtering', 5, 5e-3, 0.3, False),
            (nlp, 'pretrained transformer', 2, 1e-4, None, False)]

@pytest.mark.parametrize('make,kind,epochs,lr,wd,fine_tune', CHAPTERS, ids=[c[1] for c in CHAPTERS])
def test_on_a_chapters_data_the_plan_is_the_chapters_recipe(make, kind, epochs, lr, wd, fine_tune):
    plan = fit_plan(make())
    assert (plan['kind'], plan['epochs'], plan['lr'], plan['wd'], plan['fine_tune']) == (kind, epochs, lr, wd, fine_tune)
    assert RECIPES[kind]['chapter'] is not None

def test_a_transformer_from_scratch_is_not_given_the_pretrained_rate():
    assert fit_plan(nlp_scratch())['kind'] == 'model trained from scratch'

def test_the_plan_does_not_read_the_clock(monkeypatch):
    "Make every clock the plan could read run 1000x fast or slow: the plan stays the same."
    import time
    learn = tabular()
    first = fit_plan(learn)
    for factor in (1e-3, 1e3):
        for name in ('time', 'perf_counter', 'monotonic'):
            real = getattr(time, name)
            monkeypatch.setattr(time, name, lambda real=real: real() * factor)
        assert fit_plan(learn) == first
        monkeypatch.undo()

def test_own_data_gets_epochs_from_its_size():
    "Fewer batches an epoch, more epochs (within the kind's range): the chapter's number of steps."
    from fastai.tabular.all import tabular_learner
    import numpy as np, pandas as pd
    from mylib.tabular import table_dls
    rng = np.random.default_rng(0)
    for n in (2000, 200_000):
        df = pd.DataFrame(dict(a=rng.normal(size=n), kind=rng.choice(['x', 'y'], n), y=rng.normal(size=n), is_valid=np.arange(n) % 5 == 0))
        plan = fit_plan(tabular_learner(table_dls(df, ['kind'], ['a'], 'y')))
        lo, hi = RECIPES['tabular net']['epochs']
        assert plan['epochs'] == max(lo, min(hi, round(570 / plan['per_epoch'])))
        assert (plan['epochs'] == hi) if n == 2000 else (plan['epochs'] == lo)
