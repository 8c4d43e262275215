"Tables and ratings from a learner's own data: each kind of bad input stops with an error that names the column and what to do."
import numpy as np, pandas as pd, pytest
from mylib.tabular import table_dls, clean_table
from mylib.collab import collab_dls

def table(**changes):
    df = pd.DataFrame(dict(age=[30., 40, 50, 60], job=['a', 'b', 'a', 'b'], y=['<=50K', '>50K', '<=50K', '>50K'],
                           is_valid=[False, False, True, True]))
    return df.assign(**changes)

@pytest.mark.parametrize('df, err, msg', [
    (table().drop(columns='age'), KeyError, r"no column \['age'\]"),
    (table(age=['30', '40', 'n/a', '60']), TypeError, r"'age' should hold numbers.*pd.to_numeric"),
    (table(age=np.nan), ValueError, r"'age' has no values at all"),
    (table(age=[30, np.inf, 50, 60]), ValueError, r"'age' has infinite values"),
    (table(y=['<=50K', None, '<=50K', '>50K']), ValueError, r"target 'y' is missing in 1 rows"),
    (table(is_valid=['no', 'no', 'yes', 'yes']), TypeError, r"is_valid must be True/False"),
    (table(is_valid=True), ValueError, r"some rows, not all"),
    (table(y=['<=50K', '<=50K', '>50K', '>50K']), ValueError, r"\['>50K'\] of 'y' appear only in validation"),
])
def test_bad_tables(df, err, msg):
    with pytest.raises(err, match=msg): table_dls(df, ['job'], ['age'], 'y', bs=2)

def test_good_table_and_log_columns():
    assert len(table_dls(table(), ['job'], ['age'], 'y', bs=2).train_ds) == 2
    with pytest.raises(ValueError, match=r"'age' has values <= -1"): clean_table(table(age=[-5., 1, 2, 3]), log_cols=['age'])
    assert np.allclose(clean_table(table(), log_cols=['age']).age, np.log1p([30, 40, 50, 60]))

def ratings(**changes):
    return pd.DataFrame(dict(user_id=[1, 2, 1, 2], title=['A', 'A', 'B', 'B'], rating=[4., 3, 5, 2],
                             is_valid=[False, False, False, True])).assign(**changes)

@pytest.mark.parametrize('df, err, msg', [
    (ratings().drop(columns='rating'), KeyError, r"the ratings has no column \['rating'\]"),
    (ratings(rating=['4', 'three', '5', '2']), TypeError, r"'rating' should hold numbers"),
    (ratings(rating=[4, np.nan, 5, 2]), ValueError, r"target 'rating' is missing in 1 rows"),
    (ratings(rating=[4, 1000, 5, 2]), ValueError, r"'rating' runs from 2 to 1000, outside y_range=\(0, 5.5\).*pass y_range="),
    (ratings(rating=[4, -1, 5, 2]), ValueError, r"runs from -1 to 5, outside y_range"),
])
def test_bad_ratings(df, err, msg):
    with pytest.raises(err, match=msg): collab_dls(df, bs=2)

def test_ratings_on_another_scale():
    "Ratings out of 10 work once y_range says so."
    assert len(collab_dls(ratings(rating=[8., 3, 10, 2]), bs=2, y_range=(0, 10.5)).train_ds) == 3

def _quantity_table(n, seed):
    "A learner-style table whose target is a quantity: two numbers and a category."
    rng = np.random.default_rng(seed)
    x1, x2, kind = rng.normal(size=n), rng.uniform(0, 10, size=n), rng.choice(['a', 'b', 'c'], n)
    y = 2 * x1 - 0.5 * x2 + np.where(kind == 'b', 3.0, 0.0) + rng.normal(scale=0.3, size=n)
    return pd.DataFrame(dict(x1=x1, x2=x2, kind=pd.Series(kind, dtype=object), y=y))

def test_numeric_target_is_regression_with_a_regression_baseline():
    "A learner's own small table with a quantity to predict: regression, a batch size for its size, a regression baseline."
    import torch
    from fastai.tabular.all import tabular_learner, rmse
    from mylib.tabular import gbm_baseline
    from mylib.engine.data import evaluate_test
    df, test = _quantity_table(500, 0).assign(is_valid=lambda d: np.arange(len(d)) % 5 == 0), _quantity_table(200, 1)
    dls = table_dls(df, ['kind'], ['x1', 'x2'], 'y')
    assert dls.c == 1 and dls.train.bs == 16                      # regression; 400 training rows: 25 steps an epoch, not 1
    torch.manual_seed(0)
    learn = tabular_learner(dls, metrics=rmse)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(10, 1e-2)
    res, gbm = evaluate_test(learn, items=test), gbm_baseline(df[~df.is_valid], test, ['kind'], ['x1', 'x2'], 'y')
    # predicting the mean has an RMSE of the target's spread (2.7); measured: net 0.56-0.66 over 3 seeds, boosting 0.57
    assert set(res) == {'loss', 'rmse'} and res['rmse'] < 0.5 * test.y.std() and gbm < 0.5 * test.y.std()

def test_auto_fit_chooses_sound_defaults_for_an_own_table(capsys):
    "auto_fit on the same kind of own table: epochs and the tabular chapter's learning rate chosen and printed, and as good a net."
    import torch
    from fastai.tabular.all import tabular_learner, rmse
    from mylib.engine.data import evaluate_test
    from mylib.engine.speed import auto_fit
    df, test = _quantity_table(500, 0).assign(is_valid=lambda d: np.arange(len(d)) % 5 == 0), _quantity_table(200, 1)
    torch.manual_seed(0)
    learn = tabular_learner(table_dls(df, ['kind'], ['x1', 'x2'], 'y'), metrics=rmse)
    with learn.no_bar(), learn.no_logging(): auto_fit(learn, most=10)
    said = capsys.readouterr().out
    assert 'epochs: 10 ' in said and "learning rate: 0.01 (the 12_tabular chapter's" in said and len(learn.recorder.values) == 10
    # predicting the mean gives the target's spread; the net with the chapter's recipe stays well under it
    assert evaluate_test(learn, items=test)['rmse'] < 0.4 * test.y.std()

def test_itemknn_on_ratings_without_timestamps():
    "Ratings without a timestamp column: fit says which column is missing and how to go without; time=None works."
    from mylib.collab_further import ItemKNN
    df = pd.DataFrame(dict(user_id=[1, 1, 2, 2, 3, 3], movie_id=[10, 20, 10, 30, 20, 30], rating=[4., 5, 3, 2, 4, 1]))
    with pytest.raises(ValueError, match=r"needs columns \['timestamp'\].*time=None"): ItemKNN().fit(df)
    with pytest.raises(TypeError, match="'rating' should hold numbers"): ItemKNN(time=None).fit(df.assign(rating='good'))
    p = ItemKNN(k=2, time=None).fit(df).predict(df)
    assert p.shape == (6,) and np.isfinite(p).all() and (p >= 1).all() and (p <= 5).all()

def test_inspect_table_and_ratings():
    "The table and ratings inspectors on a learner's own small data: what they assume, and what they refuse."
    from mylib.tabular import inspect_table
    from mylib.collab import inspect_ratings
    rng = np.random.default_rng(0)
    df = pd.DataFrame(dict(size=rng.uniform(20, 200, 300), city=pd.Series(rng.choice(['a', 'b'], 300), dtype=object),
                           same=1.0, price=rng.uniform(50, 900, 300), is_valid=np.arange(300) % 4 == 0))
    rep = inspect_table(df, 'price', ['city'], ['size', 'same']); text = repr(rep)
    assert rep.ok and 'regression' in text and 'batch size 8' in text and "'same' has one value" in text, text
    rep = inspect_table(df.drop(columns='is_valid').assign(size='big'), 'price', ['city'], ['size', 'rooms'])
    assert len(rep.problems) == 2 and 'no is_valid column' in repr(rep) and "no column ['rooms']" in repr(rep)
    assert "'size' is continuous but holds" in repr(inspect_table(df.assign(size=df['size'].astype(str)), 'price', ['city'], ['size']))
    assert 'classification' in repr(inspect_table(df.assign(y=pd.Series(rng.choice(['x', 'y'], 300), dtype=object)), 'y', ['city'], ['size']))
    r = pd.DataFrame(dict(reader=[1, 1, 2, 2, 3], book=['A', 'B', 'A', 'C', 'B'], stars=[4., 5, 3, 9, 1],
                          is_valid=[False, False, False, True, True]))
    rep = inspect_ratings(r, 'reader', 'book', 'stars'); text = repr(rep)
    assert len(rep.problems) == 1 and 'from 1 to 9, outside y_range=(0, 5.5)' in text, text
    assert "validation ratings are for a reader never seen" in text and "for a book never seen" in text
    assert inspect_ratings(r, 'reader', 'book', 'stars', y_range=(0, 10.5)).ok
    assert 'pass user=, item=, rating=' in repr(inspect_ratings(r))
