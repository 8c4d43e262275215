"The pixel cache behind `folder_dls`, on real image files in a temporary folder (and a temporary data folder)."
import os
import numpy as np, pytest, torch
from PIL import Image

@pytest.fixture
def folder(tmp_path, monkeypatch):
    "A tiny image-classification folder of 28x28 grey PNGs: train/{a,b} (4 each), valid/{a,b} (1 each)."
    monkeypatch.setenv('MYLIB_DATA', str(tmp_path/'data'))
    rng = np.random.default_rng(0)
    for split, n in (('train', 4), ('valid', 1)):
        for label in 'ab':
            (tmp_path/'imgs'/split/label).mkdir(parents=True)
            for i in range(n): Image.fromarray(rng.integers(0, 255, (28, 28), dtype=np.uint8)).save(tmp_path/'imgs'/split/label/f'{i}.png')
    return tmp_path/'imgs'

def batches(dl): return [(x.clone(), y.clone()) for x, y in dl]

def test_cached_equals_file_pipeline(folder):
    from mylib.engine.images import folder_dls, CachedImageDL
    fast, slow = folder_dls(folder, grey=True, bs=4, shuffle=False), folder_dls(folder, grey=True, bs=4, cache=False, shuffle=False)
    assert isinstance(fast.train, CachedImageDL) and fast.train._batch_source() is not None
    assert not isinstance(slow.train, CachedImageDL)
    for (a, ya), (b, yb) in zip(batches(fast.train.new(shuffle=False)), batches(slow.train.new(shuffle=False))):
        assert torch.equal(a, b) and torch.equal(ya, yb)
    assert len(list((folder.parent/'data'/'.pixels').glob('*.pt'))) == 1

def test_changed_file_is_decoded_again(folder):
    from mylib.engine.images import folder_dls
    f = folder/'valid'/'a'/'0.png'
    def pixels_of_f():
        dl = folder_dls(folder, grey=True, bs=4).valid
        return dl.one_batch()[0][list(dl.items).index(f)]
    before = pixels_of_f()
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(f)
    st = os.stat(f); os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))   # a clearly newer file
    after = pixels_of_f()
    assert before.max() > 0 and after.max() == 0

def test_damaged_cache_file_is_rebuilt(folder):
    from mylib.engine.images import folder_dls
    good = folder_dls(folder, grey=True, bs=4).valid.one_batch()[0]
    cache, = (folder.parent/'data'/'.pixels').glob('*.pt')
    cache.write_bytes(cache.read_bytes()[:100])
    assert torch.equal(folder_dls(folder, grey=True, bs=4).valid.one_batch()[0], good)
    assert cache.stat().st_size > 100

def test_mixed_sizes_fall_back(folder):
    from fastai.vision.all import Resize
    from mylib.engine.images import folder_dls, pixel_cache, folder_items, CachedImageDL
    Image.fromarray(np.zeros((30, 30), np.uint8)).save(folder/'train'/'a'/'0.png')
    assert pixel_cache(folder_items(folder), grey=True) is None
    dls = folder_dls(folder, grey=True, bs=4, item_tfms=Resize(28))
    assert not isinstance(dls.train, CachedImageDL) and dls.train.one_batch()[0].shape == (4, 1, 28, 28)

def test_corrupt_image_names_the_file(folder):
    from mylib.engine.images import folder_dls
    bad = folder/'train'/'b'/'1.png'
    bad.write_bytes(b'not a png')
    with pytest.raises(ValueError, match=r'1\.png is not an image.*find_bad_images'): folder_dls(folder, grey=True)
    assert bad.read_bytes() == b'not a png'              # the user's file is left as it was

@pytest.mark.filterwarnings('ignore:load_learner')   # the pickle this test itself just wrote: fastai's warning is for files from others
def test_export_carries_no_pixels(folder, tmp_path):
    from fastai.vision.all import Learner, load_learner
    from torch import nn
    from mylib.engine.images import folder_dls
    dls = folder_dls(folder, grey=True, bs=4)
    learn = Learner(dls, nn.Sequential(nn.Flatten(), nn.Linear(28*28, 2)))
    learn.export(tmp_path/'m.pkl')
    loaded = load_learner(tmp_path/'m.pkl')
    assert loaded.dls.after_item is not None
    tfm = [t for t in loaded.dls.valid_ds.tls[0].tfms.fs if type(t).__name__ == 'CachedImage'][0]
    assert tfm.pixels is None and tfm.rows == {}
    assert loaded.predict(folder/'valid'/'a'/'0.png')[0] == learn.predict(folder/'valid'/'a'/'0.png')[0]

def test_own_image_folders_say_what_is_missing(tmp_path):
    "A learner's own folder: not a folder, no train/valid classes, an empty class, mixed sizes without Resize."
    import numpy as np, pytest
    from PIL import Image
    from fastai.vision.all import Resize
    from mylib.engine.images import folder_dls
    for split, cls, n in [('train', 'cat', 3), ('train', 'dog', 3), ('valid', 'cat', 2), ('valid', 'dog', 2)]:
        (tmp_path/split/cls).mkdir(parents=True, exist_ok=True)
        for i in range(n): Image.fromarray(np.zeros((8 + i, 8, 3), np.uint8)).save(tmp_path/split/cls/f'{i}.png')
    with pytest.raises(FileNotFoundError, match='is not a folder'): folder_dls(tmp_path/'nope')
    with pytest.raises(ValueError, match='has no class folders'): folder_dls(tmp_path/'train')
    with pytest.raises(ValueError, match=r'different sizes.*item_tfms=Resize'): folder_dls(tmp_path)
    assert len(folder_dls(tmp_path, item_tfms=Resize(8), bs=2).train_ds) == 6
    (tmp_path/'valid').rename(tmp_path/'val')
    with pytest.raises(ValueError, match=r"valid has no class folders.*rename val/ to valid/"): folder_dls(tmp_path, item_tfms=Resize(8))
    (tmp_path/'val').rename(tmp_path/'valid')
    (tmp_path/'valid'/'bird').mkdir()
    with pytest.raises(ValueError, match=r"no images in .*valid: \['bird'\]"): folder_dls(tmp_path, item_tfms=Resize(8))
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path/'valid'/'bird'/'0.png')
    with pytest.raises(ValueError, match=r"classes \['bird'\] have images in .*valid but none in .*train"): folder_dls(tmp_path, item_tfms=Resize(8))

@pytest.mark.parametrize('cache', [True, False])
def test_16bit_png_is_scaled_not_clipped(folder, cache):
    "A 16-bit grey PNG (mid-grey 125 x 257) reads as grey 125, with and without the pixel cache."
    from mylib.engine.images import folder_dls
    f = folder/'valid'/'a'/'0.png'
    Image.fromarray(np.full((28, 28), 125 * 257, np.uint16)).save(f)
    assert Image.open(f).mode.startswith('I')
    dl = folder_dls(folder, grey=True, bs=4, cache=cache, shuffle=False).valid
    x = dl.one_batch()[0][list(dl.items).index(f)]
    assert abs(float(x.mean()) * 255 - 125) < 0.5

def test_swapped_files_with_same_size_and_times_are_decoded_again(folder):
    "Two same-size images swapped between class folders (`mv`, timestamps kept): the cache notices."
    from mylib.engine.images import folder_dls
    a, b = folder/'train'/'a'/'0.png', folder/'train'/'b'/'0.png'
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(a, compress_level=0)   # uncompressed: the same size
    Image.fromarray(np.full((28, 28), 255, np.uint8)).save(b, compress_level=0)
    for f in (a, b): os.utime(f, ns=(10**18, 10**18))
    assert a.stat().st_size == b.stat().st_size
    def pixel_of(f):
        dl = folder_dls(folder, grey=True, bs=8, shuffle=False).train.new(shuffle=False)
        return float(dl.one_batch()[0][list(dl.items).index(f)].mean())
    assert (pixel_of(a), pixel_of(b)) == (0, 1)
    tmp = a.with_name('swap.tmp'); a.rename(tmp); b.rename(a); tmp.rename(b)
    assert (a.stat().st_mtime_ns, b.stat().st_mtime_ns) == (10**18, 10**18)
    assert (pixel_of(a), pixel_of(b)) == (1, 0)

def test_non_utf8_file_name_trains(folder):
    "A file name that is not valid UTF-8 (possible on Linux) is read and batched like any other."
    from mylib.engine.images import folder_dls
    raw = os.fsencode(folder/'train'/'a') + b'/caf\xe9.png'
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(os.fsdecode(raw))
    dls = folder_dls(folder, grey=True, bs=4)
    assert os.fsdecode(raw) in [str(f) for f in dls.train.items]
    assert sum(len(y) for _, y in dls.train.new(shuffle=False, drop_last=False)) == 9

def test_truncated_jpeg_with_resize_names_the_file(folder):
    "A JPEG cut short, in a folder read with `Resize` (no pixel cache): the error names the file and what to do."
    import io
    from fastai.vision.all import Resize
    from mylib.engine.images import folder_dls
    buf = io.BytesIO(); Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, format='JPEG')
    bad = folder/'valid'/'b'/'cut.jpg'; bad.write_bytes(buf.getvalue()[:400])
    dls = folder_dls(folder, item_tfms=Resize(32), bs=16)
    with pytest.raises(ValueError, match=r'cut\.jpg is not an image.*find_bad_images'): dls.valid.one_batch()

def test_splits_leak_check_and_test_evaluation_on_own_folder(tmp_path):
    "A learner's own folder with train/valid/test: splits, the leak check and test evaluation need no registry name."
    from fastai.vision.all import Learner, accuracy
    from mylib.engine.data import train_valid, held_out, check_no_test, evaluate_test, DataError
    from mylib.engine.images import folder_dls; from mylib.vision import small_cnn
    rng = np.random.default_rng(0)
    for split, n in (('train', 6), ('valid', 2), ('test', 3)):
        for cls in ('dark', 'light'):
            (tmp_path/split/cls).mkdir(parents=True)
            for i in range(n): Image.fromarray(rng.integers(0, 60, (12, 12), dtype=np.uint8) + (180 if cls == 'light' else 0)).save(tmp_path/split/cls/f'{i}.png')
    assert len(train_valid(tmp_path)) == 16 and len(held_out(tmp_path)) == 6
    dls = folder_dls(tmp_path, grey=True, bs=4)
    assert check_no_test(dls.train.items + dls.valid.items, tmp_path)
    with pytest.raises(AssertionError, match='1 test items'): check_no_test(dls.train.items + held_out(tmp_path)[:1], tmp_path)
    learn = Learner(dls, small_cnn(2, width=4), metrics=accuracy)
    res = evaluate_test(learn, tmp_path)
    assert set(res) == {'loss', 'accuracy'} and evaluate_test(learn, items=held_out(tmp_path)) == res
    from mylib.vision import pixel_baseline, images_to_array
    from mylib.engine.data import split_of
    assert images_to_array(held_out(tmp_path), size=6).shape == (6, 36)
    assert pixel_baseline([f for f in train_valid(tmp_path) if split_of(f) == 'train'], held_out(tmp_path), size=6) == 1.0
    with pytest.raises(DataError, match='no test/ folder'): held_out(tmp_path/'test')
    with pytest.raises(DataError, match='neither a dataset'): held_out(tmp_path/'nope')

def test_inspect_images_reports_each_problem(tmp_path):
    "inspect_images on a good own folder, then on one with each problem a learner's folder tends to have."
    from mylib.engine.images import inspect_images
    rng = np.random.default_rng(0)
    def img(p, size=(16, 16)):
        p.parent.mkdir(parents=True, exist_ok=True); Image.fromarray(rng.integers(0, 255, (*size, 3), dtype=np.uint8)).save(p)
    for split, n in (('train', 4), ('valid', 2), ('test', 2)):
        for cls in ('cat', 'dog'):
            for i in range(n): img(tmp_path/split/cls/f'{i}.png')
    rep = inspect_images(tmp_path)
    assert rep.ok and any('all images are 16x16' in n for n in rep.notes), rep
    (tmp_path/'valid').rename(tmp_path/'val')
    assert any('rename val/ to valid/' in p for p in inspect_images(tmp_path).problems)
    (tmp_path/'val').rename(tmp_path/'valid')
    (tmp_path/'train'/'bird').mkdir(); img(tmp_path/'valid'/'fox'/'0.png')
    (tmp_path/'train'/'cat'/'broken.png').write_bytes(b'not a png')
    (tmp_path/'test'/'dog'/'copy.png').write_bytes((tmp_path/'train'/'dog'/'0.png').read_bytes())
    img(tmp_path/'train'/'cat'/'big.png', (40, 30))
    rep = inspect_images(tmp_path); text = repr(rep)
    assert not rep.ok and len(rep.problems) == 4, text
    for expected in ("train/ has class folders with no images: ['bird']", "classes ['fox'] have images in valid/ but none in train/",
                     "1 file(s) can't be read", "1 image(s) appear in two splits", "image sizes vary", "item_tfms=Resize(16)"):
        assert expected in text, (expected, text)
    with pytest.raises(ValueError, match='4 problem'): rep.raise_if_bad()
