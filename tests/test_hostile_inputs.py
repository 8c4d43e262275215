"""Hostile input, second round (issue 32): the learner's own photos, tables, texts and ratings, the data hub, the cleaner.

Each test takes a class of input (every EXIF orientation, every way a folder can hide an image, every way to name one
file twice...) on real files, real processes and, where it matters, a real unprivileged user."""
import html, io, json, os, re, shutil, subprocess, sys, tempfile
from pathlib import Path
import numpy as np, pandas as pd, pytest
from PIL import Image
from conftest import ROOT, run_py, run_mod

ROOTED = os.geteuid() == 0
NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']

def as_nobody(args:list, env:dict|None=None, timeout:int=300) -> subprocess.CompletedProcess:
    "Run `python *args` as an unprivileged user (root ignores read-only folders), with `env` added."
    e = {**os.environ, 'MPLCONFIGDIR': '/tmp', 'HOME': '/tmp', **(env or {})}
    return subprocess.run([*(NOBODY if ROOTED else []), sys.executable, *args], capture_output=True, text=True, env=e, timeout=timeout, cwd='/tmp')

needs_setpriv = pytest.mark.skipif(ROOTED and not shutil.which('setpriv'), reason='running as root without setpriv')
needs_chattr = pytest.mark.skipif(not (ROOTED and shutil.which('chattr')), reason='chattr +i needs root')

@pytest.fixture
def open_tmp():
    "A scratch folder another user can reach (pytest's own are private to their owner)."
    d = Path(tempfile.mkdtemp(dir='/tmp')); d.chmod(0o755)
    yield d
    subprocess.run(['chmod', '-R', 'u+rwX', str(d)]); shutil.rmtree(d, ignore_errors=True)

def png(path:Path, arr:np.ndarray, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True); Image.fromarray(arr).save(path, format=kw.pop('format', 'PNG'), **kw); return path

def image_folder(root:Path, n_train:int=3, n_valid:int=1, size=(8, 8), seed:int=0) -> Path:
    "A `train/valid/{a,b}/` folder of distinct random RGB PNGs."
    rng = np.random.default_rng(seed)
    for split, n in (('train', n_train), ('valid', n_valid)):
        for label in 'ab':
            for i in range(n): png(root/split/label/f'{i}.png', rng.integers(0, 255, (*size, 3), dtype=np.uint8))
    return root

@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    "A throw-away data folder (`MYLIB_DATA`), so pixel caches and datasets built here touch nothing else."
    monkeypatch.setenv('MYLIB_DATA', str(tmp_path/'data')); return tmp_path/'data'

# ---------------------------------------------------------------- the learner's own photos: one reader ----------------

# What a viewer shows for each EXIF orientation of stored pixels `s` (the EXIF 2.3 table, written out in numpy)
UPRIGHT = {1: lambda s: s, 2: lambda s: s[:, ::-1], 3: lambda s: s[::-1, ::-1], 4: lambda s: s[::-1],
           5: lambda s: s.transpose(1, 0, 2), 6: lambda s: np.rot90(s, -1), 7: lambda s: s[::-1, ::-1].transpose(1, 0, 2),
           8: lambda s: np.rot90(s, 1)}

def with_orientation(path:Path, stored:np.ndarray, o:int) -> Path:
    ex = Image.Exif(); ex[0x0112] = o
    return png(path, stored, exif=ex)

@pytest.mark.parametrize('o', range(1, 9))
def test_exif_orientation_every_reader(tmp_path, data_dir, o):
    "Every EXIF orientation is applied by every reader: open_image, read_image, the thumbnail, image_size and both folder_dls pipelines."
    from mylib.engine.image_reader import open_image, read_image, image_size
    from mylib.engine.images import folder_dls
    from mylib.cleaning import thumbnail
    stored = np.random.default_rng(o).integers(0, 255, (4, 6, 3), dtype=np.uint8)
    want = np.ascontiguousarray(UPRIGHT[o](stored))
    f = with_orientation(tmp_path/'phone.png', stored, o)
    assert np.array_equal(np.asarray(open_image(f)), want)
    assert np.array_equal(np.asarray(open_image(f.read_bytes())), want)          # an upload: bytes
    assert np.array_equal(np.asarray(read_image(f)), want)
    assert image_size(f) == (want.shape[1], want.shape[0])
    assert Image.open(io.BytesIO(thumbnail(f, 12))).size == (12, round(12 * want.shape[0] / want.shape[1]))
    # a folder of upright images plus this phone photo: the same size once turned, so no Resize is needed, and it reads upright
    root = tmp_path/'photos'
    for split in ('train', 'valid'):
        for label in 'ab': png(root/split/label/'plain.png', np.zeros_like(want))
    shutil.copy(f, root/'train'/'a'/'phone.png')
    for cache in (True, False):
        dls = folder_dls(root, bs=1, cache=cache, shuffle=False)
        items = list(dls.train.items)
        x = dls.train.new(shuffle=False, bs=len(items)).one_batch()[0][items.index(root/'train'/'a'/'phone.png')]
        assert np.array_equal((x.permute(1, 2, 0).numpy() * (255 if x.is_floating_point() else 1)).round().astype(np.uint8), want), cache

def tiff(path:Path, arr:np.ndarray) -> Path:
    Image.fromarray(arr).save(path, format='TIFF'); return path

@pytest.mark.parametrize('arr, grey', [
    (np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8), np.rint(np.linspace(0, 1, 64) * 255)),       # 0-1 floats
    (np.full((8, 8), 0.5, np.float32), np.full(64, 128)),
    (np.linspace(0, 200, 64, dtype=np.float32).reshape(8, 8), np.rint(np.linspace(0, 200, 64))),        # 0-255 floats
    (np.full((8, 8), 40_000, np.int32), np.full(64, 40_000 // 257)),                                      # 16-bit data in 32 bits
])
def test_deep_images_are_scaled(tmp_path, arr, grey):
    from mylib.engine.image_reader import open_image
    got = np.asarray(open_image(tiff(tmp_path/'scan.tif', arr), 'L')).ravel().astype(int)
    assert np.abs(got - grey).max() <= 1 and got.max() > 0

@pytest.mark.parametrize('arr, says', [
    (np.full((8, 8), -0.5, np.float32), 'from -0.5 to -0.5'), (np.full((8, 8), 300., np.float32), 'from 300 to 300'),
    (np.array([[0, np.nan]], np.float32), 'not numbers'), (np.array([[0, np.inf]], np.float32), 'not numbers'),
    (np.full((8, 8), 100_000, np.int32), 'from 100000 to 100000'), (np.full((8, 8), -5, np.int32), 'from -5 to -5'),
])
def test_unreadable_ranges_are_refused_naming_the_file(tmp_path, data_dir, arr, says):
    "Pixels that can't be read as brightness without a guess: an ImageError naming the file, from open_image and from folder_dls."
    from mylib.engine.image_reader import open_image, ImageError
    from mylib.engine.images import folder_dls
    f = tiff(tmp_path/'odd_scan.tif', arr)
    with pytest.raises(ImageError, match='odd_scan.tif') as e: open_image(f)
    assert says in str(e.value) and '8-bit' in str(e.value)
    root = image_folder(tmp_path/'ds'); shutil.copy(f, root/'train'/'a'/'odd_scan.tif')
    with pytest.raises(ImageError, match='odd_scan.tif'): folder_dls(root, bs=2, item_tfms=None, cache=True)

# ------------------------------------------------------------- the learner's own photos: one set of folder rules -------

def _counted(rep) -> int:
    "The images `inspect_images` counted in train/ and valid/ (from its notes)."
    return sum(int(n.split(': ')[1].split()[0]) for n in rep.notes if n.startswith(('train:', 'valid:')))

def _mkfifo(p:Path): os.mkfifo(p)
def _link_class(r:Path, other:Path):
    "A class `c` whose folders are links to class `a` of another dataset (a learner's photos kept elsewhere)."
    for split in ('train', 'valid'): (r/split/'c').symlink_to(other/split/'a')

# (what to add to a clean folder, whether training uses it, the name a report must mention if it is left out)
LAYOUTS = {
    'image in a sub-folder of a class': (lambda r: png(r/'train/a/more/x.png', np.zeros((8, 8, 3), np.uint8)), False, 'more'),
    'photo without extension': (lambda r: png(r/'train/a/IMG_0001', np.zeros((8, 8, 3), np.uint8)), False, 'IMG_0001'),
    'upper-case extension': (lambda r: png(r/'train/a/X.JPG', np.zeros((8, 8, 3), np.uint8), format='JPEG'), True, None),
    'image loose in train/': (lambda r: png(r/'train/x.png', np.zeros((8, 8, 3), np.uint8)), False, 'x.png'),
    'link loop to the dataset': (lambda r: (r/'train/a/loop').symlink_to(r), False, 'loop'),
    'link loop to itself': (lambda r: (r/'train/a/self').symlink_to('.'), False, 'self'),
    'class folder linked to another': (lambda r: (r/'train/c').symlink_to(r/'train/a'), False, 'train/c'),
    'valid image linked to a train image': (lambda r: (r/'valid/a/dup.png').symlink_to(r/'train/a/0.png'), False, 'dup.png'),
    'broken link': (lambda r: (r/'train/a/gone.png').symlink_to(r/'nowhere.png'), False, 'gone.png'),
    'named pipe': (lambda r: _mkfifo(r/'train/a/pipe.png'), False, 'pipe.png'),
    'hidden file': (lambda r: png(r/'train/a/.x.png', np.zeros((8, 8, 3), np.uint8)), False, None),
    'notes beside the images': (lambda r: (r/'train/a/notes.txt').write_text('mine'), False, None),
    'linked class folders from elsewhere': (lambda r: _link_class(r, image_folder(r.parent/'more', seed=5)), True, None),
}

@pytest.mark.parametrize('name', LAYOUTS)
def test_inspect_counts_what_folder_dls_trains_on(tmp_path, data_dir, capsys, name):
    "inspect_images and folder_dls list a folder by the same rules: same count, and what is left out is reported by both."
    from mylib.engine.images import inspect_images, folder_dls, folder_items
    add, used, mention = LAYOUTS[name]
    root = image_folder(tmp_path/'ds'); base = 8
    add(root)
    rep = inspect_images(root)
    items = folder_items(root); printed = capsys.readouterr().out
    extra = 4 if name == 'linked class folders from elsewhere' else 1
    assert len(items) == _counted(rep) == base + (extra if used else 0), (rep, items)
    assert len(set(os.path.realpath(f) for f in items)) == len(items)                           # no file twice
    assert not any('two splits' in p for p in rep.problems), rep                               # no false duplicates
    if mention:
        assert any(mention in p for p in rep.problems), rep
        assert mention in printed and 'left out' in printed
    else: assert rep.ok, rep
    dls = folder_dls(root, bs=2)
    assert len(dls.train.items) + len(dls.valid.items) == len(items)

def test_held_out_follows_the_same_rules(tmp_path):
    from mylib.engine.data import held_out
    root = image_folder(tmp_path/'ds')
    png(root/'test/a/0.png', np.zeros((8, 8, 3), np.uint8)); png(root/'test/a/deeper/1.png', np.zeros((8, 8, 3), np.uint8))
    (root/'test/a/loop').symlink_to(root)
    assert [f.name for f in held_out(root)] == ['0.png']

def test_pixel_cache_is_pruned_per_folder(tmp_path, data_dir):
    "Edit a dataset again and again: its pixel files stay bounded, the newest is the one used, another folder's cache survives."
    from mylib.engine.images import pixel_cache, folder_items, PIXEL_CACHE_KEEP
    other = folder_items(image_folder(tmp_path/'other', seed=1)); pixel_cache(other)
    root = image_folder(tmp_path/'ds'); f = root/'train'/'a'/'0.png'
    for i in range(PIXEL_CACHE_KEEP + 4):
        png(f, np.full((8, 8, 3), i, np.uint8))
        t = pixel_cache(folder_items(root))
        assert int(t[0].max()) == i
    caches = list((data_dir/'.pixels').glob('*.pt'))
    assert len(caches) == PIXEL_CACHE_KEEP + 1
    assert pixel_cache(other) is not None and len(list((data_dir/'.pixels').glob('*.pt'))) == len(caches)   # a hit: nothing new

# ------------------------------------------------------------------------------- tables, texts, ratings -------------

def table(**changes) -> pd.DataFrame:
    df = pd.DataFrame(dict(age=[30., 40, 50, 60], hours=[10., 20, 30, 40], job=['a', 'b', 'a', 'b'], y=['lo', 'hi', 'lo', 'hi'],
                           is_valid=[False, False, True, True]))
    return df.assign(**changes)

@pytest.mark.parametrize('cat, cont, name', [
    (['job', 'age'], ['age'], 'age'), (['job'], ['age', 'hours', 'age'], 'age'), (['job', 'job'], ['age'], 'job'),
    (['job', 'y'], ['age'], 'y'), (['job'], ['age', 'y'], 'y'), ('job', ['age'], 'job'), (['job'], 'age', 'age')])
def test_a_column_in_two_roles_is_refused(cat, cont, name):
    from mylib.tabular import table_dls, inspect_table, gbm_baseline
    for call in (lambda: table_dls(table(), cat, cont, 'y', bs=2), lambda: gbm_baseline(table(), table(), cat, cont, 'y')):
        with pytest.raises((ValueError, TypeError), match=repr(name)): call()
    rep = inspect_table(table(), 'y', cat, cont)
    assert not rep.ok and any(repr(name) in p for p in rep.problems)

def ratings(**changes) -> pd.DataFrame:
    return pd.DataFrame(dict(user_id=[1., 2, 1, 2], title=['A', 'A', 'B', 'B'], rating=[4., 3, 5, 2],
                             is_valid=[False, False, False, True])).assign(**changes)

@pytest.mark.parametrize('col', ['user_id', 'title'])
@pytest.mark.parametrize('missing', [None, np.nan, pd.NA])
def test_missing_ids_are_refused_with_a_count(col, missing):
    "A rating by no one (or of nothing) is not trained on as one made-up 'nan' user: refused, counting and naming the rows."
    from mylib.collab import collab_dls, inspect_ratings
    df = ratings(); df[col] = df[col].astype(object); df.loc[2, col] = missing
    with pytest.raises(ValueError, match=rf"1 of 4 rows have no {col} \(row 2\).*dropna"): collab_dls(df, bs=2)
    rep = inspect_ratings(df)
    assert not rep.ok and any(f'have no {col}' in p for p in rep.problems)

def test_same_column_as_user_and_item_is_refused():
    from mylib.collab import collab_dls
    with pytest.raises(ValueError, match='three different columns'): collab_dls(ratings(), item='user_id', bs=2)

@pytest.fixture(scope='module')
def tok():
    from mylib.engine.models import minilm_tokenizer
    return minilm_tokenizer()

def texts(n:int, valid:int=2) -> tuple:
    df = pd.DataFrame(dict(text=[f'text number {i}' for i in range(n + valid)], label=['pos', 'neg'] * ((n + valid) // 2) + ['pos'] * ((n + valid) % 2)))
    return df.iloc[:n], df.iloc[n:]

@pytest.mark.parametrize('n', [1, 2, 7, 31, 32, 33])
def test_fewer_texts_than_a_batch_still_train(tok, capsys, n):
    from mylib.nlp import text_dls
    tr, va = texts(n)
    dls = text_dls(tok, tr, va, ['neg', 'pos'], bs=32)
    assert len(dls.train) >= 1 and sum(len(b[1]) for b in dls.train) == min(n, 32 * (n // 32) or n)
    if n < 32: assert f'{n} training texts, fewer than bs=32' in capsys.readouterr().out

EMPTY = {
    'table_dls': lambda: __import__('mylib.tabular').tabular.table_dls(table().iloc[:0], ['job'], ['age'], 'y'),
    'check_table': lambda: __import__('mylib.tabular').tabular.check_table(table().iloc[:0], ['age'], numeric=['age']),
    'clean_table': lambda: __import__('mylib.tabular').tabular.clean_table(table().iloc[:0], log_cols=['age']),
    'gbm_baseline': lambda: __import__('mylib.tabular').tabular.gbm_baseline(table().iloc[:0], table(), ['job'], ['age'], 'y'),
    'collab_dls': lambda: __import__('mylib.collab').collab.collab_dls(ratings().iloc[:0]),
}

@pytest.mark.parametrize('call', EMPTY)
def test_an_empty_table_is_called_empty(call):
    with pytest.raises(ValueError, match='empty') as e: EMPTY[call]()
    assert 'has no values' not in str(e.value)

def test_empty_tables_in_reports_and_texts(tok):
    from mylib.tabular import inspect_table
    from mylib.collab import inspect_ratings
    from mylib.nlp import inspect_texts, text_dls
    for rep in (inspect_table(table().iloc[:0], 'y', ['job'], ['age']), inspect_ratings(ratings().iloc[:0]), inspect_texts(texts(4)[0].iloc[:0])):
        assert not rep.ok and any('empty' in p for p in rep.problems), rep
    tr, va = texts(4)
    for a, b, which in ((tr.iloc[:0], va, 'training'), (tr, va.iloc[:0], 'validation')):
        with pytest.raises(ValueError, match=f'the {which} table is empty'): text_dls(tok, a, b, ['neg', 'pos'])

@pytest.mark.parametrize('missing', [None, np.nan, pd.NA])
def test_a_missing_label_names_its_rows(tok, missing):
    "A missing label is reported as missing, in which rows: never as a class called 'nan' or 'None'."
    from mylib.nlp import text_dls, inspect_texts
    from mylib.tabular import table_dls
    tr, va = texts(6); tr = tr.astype({'label': object}); tr.loc[[1, 4], 'label'] = missing
    with pytest.raises(ValueError, match=r"2 row\(s\) have no 'label' \(rows 1, 4\)") as e: text_dls(tok, tr, va, ['neg', 'pos'])
    assert "'nan'" not in str(e.value) and "'None'" not in str(e.value) and '<NA>' not in str(e.value)
    rep = inspect_texts(tr, classes=['neg', 'pos'])
    assert any('rows 1, 4' in p for p in rep.problems) and not any("'nan'" in p or "'None'" in p for p in rep.problems), rep
    df = table(y=pd.Series(['lo', missing, 'lo', 'hi'], dtype=object))
    with pytest.raises(ValueError, match=r"missing in 1 rows \(row 1\)"): table_dls(df, ['job'], ['age'], 'y', bs=2)

# ------------------------------------------------------------------------------------------------ the data hub -------

LFW_SOURCE = '9560ec2f5edf-lfw_subset.npy'

@pytest.fixture
def hub(tmp_path):
    "A data folder holding lfw_faces' source (no download), with lfw_faces built."
    src = Path(run_py("from mylib.engine.hub import sources_path; print(sources_path())").stdout.strip())/LFW_SOURCE
    if not src.exists(): pytest.skip(f'{src} is not cached: run make data')
    (tmp_path/'.sources').mkdir(parents=True); shutil.copy(src, tmp_path/'.sources'/LFW_SOURCE)
    env = {'MYLIB_DATA': str(tmp_path)}
    r = run_mod('mylib.engine.datasets', 'fetch', 'lfw_faces', '--quiet', env=env); assert r.returncode == 0, r.stderr
    return tmp_path, env

GET = "from mylib.engine.data import get_data; print(get_data('lfw_faces'))"

@pytest.mark.parametrize('damage', ['delete one', 'delete one, add one of mine', 'delete one, no checksums', 'delete one, damaged checksums',
                                    'delete a class folder'])
def test_get_data_never_returns_a_dataset_with_a_hole(hub, damage):
    "A built file (or folder) deleted by hand: get_data says so and builds the dataset again; a learner's file is kept aside."
    root, env = hub; d = root/'lfw_faces'
    files = sorted(d.rglob('*.png')); assert len(files) == 200
    if damage == 'delete a class folder': shutil.rmtree(d/'train'/'face')
    else: files[7].unlink()
    if 'mine' in damage: (d/'train'/'face'/'mine.png').write_bytes(files[8].read_bytes())         # the same count as built
    if 'no checksums' in damage: (d/'checksums.json').unlink()
    if 'damaged' in damage: (d/'checksums.json').write_text('{"half')
    r = run_py(GET, env=env)
    assert r.returncode == 0 and 'missing' in r.stderr and 'building it again' in r.stderr, r.stderr
    assert len(list(d.rglob('*.png'))) == 200 and files[7].exists()
    if 'mine' in damage: assert (next(root.glob('lfw_faces.yours-*'))/'train'/'face'/'mine.png').exists()
    r = run_py(GET, env=env); assert r.returncode == 0 and 'missing' not in r.stderr, r.stderr     # intact now: nothing said
    assert run_mod('mylib.engine.datasets', 'verify', 'lfw_faces', env=env).returncode == 0

def test_fetch_rebuilds_a_dataset_with_a_hole(hub):
    root, env = hub; f = sorted((root/'lfw_faces').rglob('*.png'))[3]; f.unlink()
    r = run_mod('mylib.engine.datasets', 'fetch', 'lfw_faces', '--quiet', env=env)
    assert r.returncode == 0 and f.exists() and 'nothing to do' not in r.stdout

@pytest.mark.parametrize('module', ['mylib.engine.datasets', 'mylib.engine.data'])
@pytest.mark.parametrize('args', [['fetch', 'lfw_faces'], ['verify', 'lfw_faces'], ['list']])
def test_mylib_data_pointing_at_a_file(tmp_path, module, args):
    for bad in (tmp_path/'a_file', tmp_path/'a_file'/'below'):
        (tmp_path/'a_file').write_text('not a folder')
        r = run_mod(module, *args, env={'MYLIB_DATA': str(bad)})
        assert r.returncode == 1 and 'MYLIB_DATA' in r.stderr and 'a_file' in r.stderr and 'Traceback' not in r.stderr, r.stderr
        assert (tmp_path/'a_file').read_text() == 'not a folder'

@needs_setpriv
def test_mylib_data_pointing_at_a_read_only_folder(open_tmp):
    "A folder nobody may write: fetching says so, naming MYLIB_DATA and the folder; listing (which only reads) works."
    ro = open_tmp/'readonly'; ro.mkdir(); ro.chmod(0o555)
    env = {'MYLIB_DATA': str(ro)}
    for args in (['fetch', 'lfw_faces'], ['fetch', 'all'], ['verify', 'lfw_faces']):
        r = as_nobody(['-m', 'mylib.engine.datasets', *args], env=env)
        assert r.returncode == 1 and 'Traceback' not in r.stderr, r.stderr
        if args[0] == 'fetch': assert 'MYLIB_DATA' in r.stderr and str(ro) in r.stderr, r.stderr
    r = as_nobody(['-c', f"from mylib.engine.data import get_data\ntry: get_data('lfw_faces')\nexcept Exception as e: print(type(e).__name__, e)"], env=env)
    assert r.stdout.startswith('DataError') and 'MYLIB_DATA' in r.stdout, r.stdout + r.stderr
    assert as_nobody(['-m', 'mylib.engine.datasets', 'list'], env=env).returncode == 0
    assert list(ro.iterdir()) == []

def test_python_dash_m_data_is_the_data_command(hub):
    root, env = hub
    for module in ('mylib.engine.data',):
        r = run_mod(module, 'fetch', 'lfw_faces', env=env); assert r.returncode == 0 and 'nothing to do' in r.stdout, r.stderr
        r = run_mod(module, 'list', env=env); assert r.returncode == 0 and 'lfw_faces' in r.stdout
        r = run_mod(module, 'fetch', 'no_such_set', env=env); assert r.returncode == 1 and 'Unknown dataset' in r.stderr
        r = run_mod(module, env=env); assert r.returncode == 2 and 'usage: mylib-data' in r.stderr
    r = run_mod('mylib.data', 'fetch', 'lfw_faces', env=env); assert r.returncode != 0 and 'mylib-data' in r.stderr

# ---------------------------------------------------------------------------------------------------- the cleaner ----

def layout(root:Path) -> dict:
    "Every file under `root` (the trash too) by its path: what it holds."
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*.png'))}

def dataset(root:Path) -> list:
    image_folder(root, n_train=4, n_valid=1)
    return sorted((root/'train').glob('*/*.png'))

def begun(root:Path) -> int:
    f = root/'.cleaning'/'journal.jsonl'
    return sum(json.loads(l)['op'] == 'begin' for l in f.read_text().splitlines()) if f.exists() else 0

NAMINGS = {   # two names for one file of dataset `root`, seen from the working folder `cwd`
    'absolute and relative to the dataset': lambda root, f, cwd: (str(f), str(f.relative_to(root))),
    'absolute and relative to the working folder': lambda root, f, cwd: (str(f), os.path.relpath(f, cwd)),
    'relative to the dataset and to the working folder': lambda root, f, cwd: (str(f.relative_to(root)), os.path.relpath(f, cwd)),
    'with .. in it': lambda root, f, cwd: (str(f), str(f.parent/'..'/f.parent.name/f.name)),
    'through a link to the dataset': lambda root, f, cwd: (str(f), str(cwd/'link'/f.relative_to(root))),
    'a Path and a str': lambda root, f, cwd: (f, str(f)),
}

@pytest.mark.parametrize('naming', NAMINGS)
def test_one_file_named_twice(tmp_path, monkeypatch, naming):
    "The same file under two names: two different decisions are refused before anything moves; the same decision is carried out once."
    from mylib.engine.journal import Journal
    root = tmp_path/'ds'; f = dataset(root)[1]; other = root/'train'/'b'/'0.png'
    (tmp_path/'link').symlink_to(root); monkeypatch.chdir(tmp_path)
    one, two = NAMINGS[naming](root, f, tmp_path)
    before = layout(root)
    for actions in (('delete', 'b'), ('keep', 'delete'), ('b', 'delete')):
        with pytest.raises(ValueError, match='same file') as e: Journal(root).apply({str(other): 'delete', one: actions[0], two: actions[1]})
        assert 'Nothing was moved' in str(e.value)
        assert layout(root) == before and begun(root) == 0
    res = Journal(root).apply({one: 'b', two: 'b'})
    assert res['relabelled'] == 1 and not f.exists() and sorted(layout(root).values()) == sorted(before.values())
    assert [p.name for p in (root/'train'/'b').iterdir() if p.read_bytes() == before[str(f.relative_to(root))]] == ['1_1.png']
    assert Journal(root).undo()['restored'] == 1 and layout(root) == before

@pytest.fixture
def unlocked(tmp_path):
    "Paths marked immutable or append-only in a test are unmarked afterwards (or pytest could not delete them)."
    marked = []
    yield marked
    for p in marked: subprocess.run(['chattr', '-i', '-a', str(p)], capture_output=True)

def chattr(flag:str, p:Path, marked:list):
    subprocess.run(['chattr', flag, str(p)], check=True); marked.append(p)

FIXED = {   # what is made unchangeable, for a batch that deletes train/a/0, relabels train/a/1 to b and deletes train/b/2
    'immutable source file': ('+i', lambda r: r/'train/a/1.png'),
    'append-only source file': ('+a', lambda r: r/'train/a/1.png'),
    'immutable source folder': ('+i', lambda r: r/'train/a'),
    'append-only source folder': ('+a', lambda r: r/'train/a'),
    'immutable destination folder': ('+i', lambda r: r/'train/b'),
    'immutable trash': ('+i', lambda r: r/'.cleaning'),
}

@needs_chattr
@pytest.mark.parametrize('what', FIXED)
def test_unchangeable_files_refuse_the_batch_before_anything_moves(tmp_path, unlocked, what):
    from mylib.engine.journal import Journal, MoveRefused
    root = tmp_path/'ds'; dataset(root); (root/'.cleaning').mkdir(); j = Journal(root)
    flag, target = FIXED[what]
    batch = {str(root/'train/a/0.png'): 'delete', str(root/'train/a/1.png'): 'b', str(root/'train/b/2.png'): 'delete'}
    before = layout(root)
    chattr(flag, target(root), unlocked)
    with pytest.raises((MoveRefused, PermissionError)) as e: j.apply(batch)
    assert 'nothing was' in str(e.value).lower() and str(target(root).name) in str(e.value)
    assert layout(root) == before and not j.incomplete()
    subprocess.run(['chattr', '-i', '-a', str(target(root))], check=True)
    assert j.apply(batch) == dict(batch=j._in_force()[-1], deleted=2, relabelled=1)

@needs_chattr
@pytest.mark.parametrize('at', [0, 2, 4])
def test_a_move_that_fails_midway_rolls_the_batch_back(tmp_path, unlocked, monkeypatch, at):
    "The checks pass, then a move fails for real (here: a file made immutable between check and move): the batch is undone whole."
    import mylib.engine.journal as jr
    root = tmp_path/'ds'; files = dataset(root); j = jr.Journal(root)
    batch = {str(f): 'delete' if i % 2 else ('b' if f.parent.name == 'a' else 'a') for i, f in enumerate(files[:6])}
    before = layout(root)
    monkeypatch.setattr(jr, 'unmovable', lambda src, dst: None)
    chattr('+i', files[at], unlocked)
    with pytest.raises(jr.MoveRefused, match=re.escape(f'moving {files[at]} to ') + '.*put back, so nothing was changed'): j.apply(batch)
    assert layout(root) == before and not j.incomplete() and j.records()[-1]['op'] == 'rolled_back'
    assert j.undo() == dict(restored=0)

@needs_setpriv
def test_a_read_only_folder_refuses_the_batch_for_a_normal_user(open_tmp):
    "As an unprivileged user (root ignores read-only folders): a relabel into a read-only class folder moves nothing."
    root = open_tmp/'ds'; dataset(root); (root/'.cleaning').mkdir()
    if ROOTED: subprocess.run(['chown', '-R', '65534:65534', str(root)], check=True)
    (root/'train'/'b').chmod(0o555); before = layout(root)
    code = (f"from mylib.engine.journal import Journal, MoveRefused\nj = Journal({str(root)!r})\n"
            f"try: j.apply({{{str(root/'train/a/0.png')!r}: 'delete', {str(root/'train/a/1.png')!r}: 'b'}})\n"
            f"except MoveRefused as e: print('refused:', e)\nprint('incomplete:', j.incomplete())")
    r = as_nobody(['-c', code])
    assert 'refused: Nothing was moved' in r.stdout and 'train/b' in r.stdout and 'incomplete: []' in r.stdout, r.stdout + r.stderr
    assert layout(root) == before

CHANGED = {   # what the learner did after an apply that deleted train/a/0, relabelled train/a/1 to b and train/b/2 to a
    'moved the relabelled file elsewhere': lambda r, m: shutil.move(m['train/a/1.png'], r/'valid'/'b'/'moved_by_me.png'),
    'emptied the trash': lambda r, m: shutil.rmtree(r/'.cleaning'/'trash'),
    'put another image at the new path': lambda r, m: (os.unlink(m['train/a/1.png']), png(Path(m['train/a/1.png']), np.zeros((8, 8, 3), np.uint8))),
    'changed the moved file': lambda r, m: png(Path(m['train/a/1.png']), np.zeros((8, 8, 3), np.uint8)),
    'put a new image at the old name': lambda r, m: png(r/'train/a/1.png', np.zeros((8, 8, 3), np.uint8)),
    'replaced the trashed file': lambda r, m: shutil.copy(m['train/b/2.png'], m['train/a/0.png']),
}

@pytest.mark.parametrize('change', CHANGED)
def test_undo_restores_only_files_that_are_still_what_was_moved(tmp_path, change):
    "Undo checks each file against the size and sha256 recorded at apply time: what changed is reported, never renamed over."
    from mylib.engine.journal import Journal
    root = tmp_path/'ds'; dataset(root); j = Journal(root)
    names = ['train/a/0.png', 'train/a/1.png', 'train/b/2.png']
    original = layout(root)
    res = j.apply({str(root/names[0]): 'delete', str(root/names[1]): 'b', str(root/names[2]): 'a'})
    moved = {str(Path(r['src']).relative_to(j.real)): r['dst'] for r in j._moves(res['batch'])}
    CHANGED[change](root, moved)
    tampered = layout(root)
    res = j.undo()
    not_back = {rel for rel in moved if any(m.startswith(f'{j.real/rel}: not restored') for m in res['not_restored'])}
    assert not_back and res['restored'] == 3 - len(not_back) and len(res['not_restored']) == len(not_back), res
    for rel in set(moved) - not_back:                         # restored: the very bytes, under its old name
        assert (root/rel).read_bytes() == original[rel] and not os.path.lexists(moved[rel])
    back = {os.path.relpath(moved[rel], j.real) for rel in set(moved) - not_back}
    after = layout(root)
    assert all(after.get(p) == data for p, data in tampered.items() if p not in back)   # nothing else touched, nothing overwritten
    assert sorted(after.values()) == sorted(tampered.values())
    assert not j.incomplete() and j.undo() == dict(restored=0)

def test_cleaner_widget_escapes_names(tmp_path):
    "Class and folder names are shown as text in the widget's HTML: markup in a dataset's names never runs."
    import ipywidgets as widgets
    from mylib.cleaning import ImageCleaner
    evil = ['<script>alert(1)</script>'.replace('/', ''), '<b>bold', '"><img src=x onerror=alert(1)>']
    root = tmp_path/'<i>ds'
    paths = [png(root/'train'/c/f'{i}.png', np.full((8, 8, 3), 40 * i, np.uint8)) for i, c in enumerate(evil)]
    ranking = pd.DataFrame(dict(path=[str(p) for p in paths], split='train', label=evil, pred=evil[::-1], prob=0.5, loss=[3., 2, 1]))
    c = ImageCleaner(ranking, root, per_page=6)
    c.export_csv(root/'<u>out'/'d.csv')
    def htmls(w):
        if isinstance(w, widgets.HTML): yield w.value
        for ch in getattr(w, 'children', ()): yield from htmls(ch)
    shown = list(htmls(c.widget))
    for name in evil + ['<i>ds', '<u>out']:
        assert not any(name in h for h in shown), (name, shown)
    assert sum(html.escape(evil[0]) in h for h in shown) == 2 and any(html.escape('<u>out') in h for h in shown)
