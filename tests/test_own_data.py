"Every documented own-data line runs as written: the README's snippet and each chapter's 'On your own data' section, end to end on small data this test makes (photos, masks, a table, ratings, texts)."
import json, re, shutil
from pathlib import Path
import numpy as np, pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT/'data'

def snippets(nb:Path) -> list[str]:
    "The python blocks of `nb`'s markdown section 'On your own data' (for the index: its section of that name)."
    cells = json.loads(nb.read_text())['cells']
    md = next(''.join(c['source']) for c in cells if c['cell_type'] == 'markdown' and ''.join(c['source']).startswith('## On your own data'))
    return re.findall(r'```python\n(.*?)```', md, re.S)

def preamble(nb:Path) -> str:
    "The chapter's first code cell: its imports and `setup()`."
    return next(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')

def _copy(src:Path, dest:Path, n:int):
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.iterdir())[:n]: shutil.copy(f, dest/f.name)

@pytest.fixture
def home(tmp_path, monkeypatch):
    "A learner's home folder (HOME and the working folder) holding their own photos, scans, table, ratings and reviews."
    monkeypatch.setenv('HOME', str(tmp_path)); monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('MYLIB_RESULTS', str(tmp_path/'results'))
    (tmp_path/'models').mkdir(); (tmp_path/'models'/'pretrained').symlink_to(ROOT/'models'/'pretrained')   # the offline weights
    monkeypatch.setenv('MYLIB_MODELS', str(tmp_path/'models'))                                              # saved models stay here
    for split, n in (('train', 10), ('valid', 5), ('test', 5)):                      # three classes of real photos
        for c in ('Sneaker', 'Bag', 'Trouser'): _copy(DATA/'fashion_clutter'/split/c, tmp_path/'my_photos'/split/c, n)
    for split, n in (('train', 12), ('valid', 4), ('test', 4)):                      # microscope tiles and their masks
        for part in ('images', 'masks'): _copy(DATA/'nuclei'/split/part, tmp_path/'my_scans'/split/part, n)
    shutil.copy(DATA/'nuclei'/'codes.txt', tmp_path/'my_scans'/'codes.txt')
    rng = np.random.default_rng(0)
    def table(n):
        d = pd.DataFrame(dict(colour=rng.choice(['red', 'green', 'blue'], n), shop=rng.choice(['a', 'b'], n),
                              weight=rng.uniform(1, 10, n), age=rng.uniform(0, 5, n)))
        return d.assign(price=20 * d.weight - 5 * d.age + d.colour.map(dict(red=30, green=0, blue=10)) + rng.normal(0, 3, n))
    table(600).to_csv('my_table.csv', index=False); table(150).to_csv('my_test_rows.csv', index=False)
    users, books = rng.integers(0, 60, 3000), rng.integers(0, 40, 3000)
    pd.DataFrame(dict(reader=[f'r{u}' for u in users], book=[f'b{b}' for b in books],
                      stars=np.clip(np.round(3 + (users % 3 - 1) * (books % 2 - 0.5) * 2 + rng.normal(0, 0.7, 3000)), 1, 5))
                 ).drop_duplicates(['reader', 'book']).to_csv('my_ratings.csv', index=False)
    from mylib.workbook import train_valid
    rt = train_valid('rotten_tomatoes').sample(240, random_state=0)
    rt.rename(columns=dict(text='review', label='sentiment'))[['review', 'sentiment']].to_csv('my_reviews.csv', index=False)
    return tmp_path

def run(chapter:str) -> dict:
    "Run the chapter's imports, then its own-data lines as written; the namespace they leave."
    nb = ROOT/'nbs'/'chapters'/f'{chapter}.ipynb'
    ns = {}
    exec(preamble(nb), ns)
    for s in snippets(nb): exec(s, ns)
    return ns

def test_readme_own_data(home):
    from mylib.deployment import predict_image, load_model
    from mylib.workbook import save_classifier
    ns = {}
    for s in snippets(ROOT/'nbs'/'index.ipynb'): exec(s, ns)
    learn = ns['learn']
    saved = save_classifier(learn, home/'my_model')                        # and it can be shared: saved, loaded, the same answer
    photo = next((home/'my_photos'/'test'/'Bag').iterdir())
    assert predict_image(load_model(saved), photo)['prediction'] == predict_image(learn, photo)['prediction']

def test_vision_own_data(home, capsys):
    ns = run('10_vision')
    said = capsys.readouterr().out
    assert 'epochs: 10 ' in said and 'learning rate: 0.01' in said           # 3 steps an epoch: capped at the kind's 10 epochs
    assert 0 <= ns['pixel_baseline']([f for f in ns['train_valid'](home/'my_photos') if ns['split_of'](f) == 'train'],
                                       ns['held_out'](home/'my_photos'), size=32) <= 1

def test_segmentation_own_data(home):
    ns = run('11_segmentation')
    assert 0 <= ns['seg_scores'](*ns['predict_masks'](ns['learn'], ns['held_out'](home/'my_scans')), ['background', 'nucleus'])['pixel_acc'] <= 1

def test_tabular_own_data(home):
    ns = run('12_tabular')
    assert ns['learn'].recorder.values and ns['dls'].c == 1                 # a regression, trained

def test_collab_own_data(home):
    ns = run('13_collab')
    assert len(ns['learn'].recorder.values) >= 3

def test_cleaning_own_data(home):
    ns = run('20_cleaning')
    assert len(ns['cleaner'].ranking) == 10 * 3 + 5 * 3                       # every training and validation photo, ranked
    assert len(ns['fp'].items) == 10 * 3 + 5 * 3 and ns['fp'].probs.shape == (45, 3)   # and scored out of sample
    assert list(ns['pairs'].columns[-2:]) == ['distance', 'leak']           # and checked for copies across splits

def test_nlp_own_data(home):
    ns = run('40_nlp')
    assert ns['learn'].recorder.values and ns['learn'].opt.hypers[0]['lr'] <= 1e-4 + 1e-12

def test_deployment_own_data(home):
    import json
    ns = run('21_deployment')
    assert (home/'my_app.ipynb').is_file() and 'classifier_app' in json.loads((home/'my_app.ipynb').read_text())['cells'][0]['source']
    assert ns['predict_files'](ns['load_model'](ns['saved']), ns['held_out'](home/'my_photos')[:2]).prediction.isin(ns['learn'].dls.vocab).all()
    assert (ns['hub_dir']/'README.md').is_file() and (ns['space_dir']/'app.py').is_file()
