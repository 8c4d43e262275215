"The deployment chapter's front ends for real: the safe model format, the command line, the Voila app and the Gradio Space in a real browser."
import json, os, pickle, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT, run_py, run_mod, write_notebook, free_port, wait_http

ARTIFACTS = ROOT/'test-artifacts'

@pytest.fixture(scope='module')
def saved(tmp_path_factory):
    "A small real clothes classifier (Lite0, one epoch on 64 images), saved both ways, with the learner's own probabilities."
    d = tmp_path_factory.mktemp('model')
    r = run_py(f"""
import json
from fastai.vision.all import accuracy, Resize
from mylib.engine.core import setup
from mylib.engine.images import folder_dls
from mylib.vision import lite0_learner
from mylib.engine.checkpoint import save_classifier
from mylib.deployment import sample_photos, predict_files
setup()
learn = lite0_learner(folder_dls('fashion_clutter', n_train=64, n_valid=32, item_tfms=Resize(64), bs=16), metrics=accuracy)
with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(1, 1e-2)
save_classifier(learn, {str(d/'clothes')!r})
learn.export({str(d/'clothes.pkl')!r})
predict_files(learn, list(sample_photos().values())).to_json({str(d/'probs.json')!r})
""")
    assert r.returncode == 0, r.stderr[-2000:]
    return d

def photos():
    from mylib.deployment import sample_photos
    return list(sample_photos().values())

def test_cli_predicts_sample_photos(saved):
    r = run_mod('mylib.deployment', str(saved/'clothes'), *map(str, photos()))
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert 'prediction' in lines[0] and 'Sneaker' in lines[0] and len(lines) == 1 + len(photos())

def test_cli_missing_and_corrupt_files(saved, tmp_path):
    bad = tmp_path/'broken.jpg'; bad.write_bytes(b'\xff\xd8\xff\xe0 not really a jpeg')
    odd = os.fsdecode(os.fsencode(tmp_path) + b'/caf\xe9.jpg'); shutil.copy(photos()[0], odd)   # a name that is not UTF-8
    r = run_mod('mylib.deployment', str(saved/'clothes'), str(photos()[0]), str(bad), str(tmp_path/'missing.png'), odd)
    assert r.returncode == 1 and 'not an image' in r.stdout and 'no such file' in r.stdout
    row = [l for l in r.stdout.splitlines() if 'caf\\xe9.jpg' in l]
    assert len(row) == 1 and 'not an image' not in row[0] and 'no such file' not in row[0], r.stdout
    r = run_mod('mylib.deployment', str(tmp_path/'nomodel'), str(photos()[0]))
    assert r.returncode != 0 and 'not found' in r.stderr

def test_safe_format_predicts_the_same_in_a_fresh_process(saved):
    "Loaded from safetensors + config in another process, from `/`: the learner's classes, probabilities to 1e-4."
    import pandas as pd
    r = run_py(f"from mylib.engine.checkpoint import load_classifier\nfrom mylib.deployment import predict_files, sample_photos\n"
               f"print(predict_files(load_classifier({str(saved/'clothes')!r}), list(sample_photos().values())).to_json())", cwd='/')
    assert r.returncode == 0, r.stderr[-2000:]
    there, here = (pd.read_json(s) for s in (__import__('io').StringIO(r.stdout.strip().splitlines()[-1]), saved/'probs.json'))
    classes = [c for c in here.columns if c not in ('file', 'prediction')]
    assert (there.prediction == here.prediction).all() and len(classes) == 10
    assert (there[classes] - here[classes]).abs().max().max() < 1e-4     # channels-last vs contiguous: same sums, another order

def test_swapped_weights_refused(saved, tmp_path):
    "Weights replaced by other valid weights of the same shapes: refused by checksum, before anything predicts."
    import torch
    from safetensors.torch import load_file, save_file
    from mylib.engine.checkpoint import load_classifier, CheckpointError
    m = shutil.copytree(saved/'clothes', tmp_path/'m')
    sd = load_file(str(m/'model.safetensors')); save_file({k: v + 0.01 if v.is_floating_point() else v for k, v in sd.items()}, str(m/'model.safetensors'))
    with pytest.raises(CheckpointError, match='sha256 differs'): load_classifier(m)
    r = run_mod('mylib.deployment', str(m), str(photos()[0]))
    assert r.returncode != 0 and 'sha256 differs' in r.stderr and 'nothing was loaded' in r.stderr

class _Payload:
    "Unpickling this creates the file `marker`: a harmless stand-in for code hidden in a model file."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (open, (str(self.marker), 'w'))

def test_pickles_refused_unless_trusted(saved, tmp_path):
    from mylib.deployment import load_model
    marker, hub = tmp_path/'payload_ran', tmp_path/'hub'
    hub.mkdir(); (hub/'model.pkl').write_bytes(pickle.dumps(_Payload(marker)))
    for model in (hub, hub/'model.pkl'):
        r = run_mod('mylib.deployment', str(model), str(photos()[0]))
        assert r.returncode != 0 and '--trust' in r.stderr and 'nothing was loaded' in r.stderr
        with pytest.raises(PermissionError, match='trust=True'): load_model(model)
    assert not marker.exists()                                  # refused before anything was unpickled
    r = run_mod('mylib.deployment', str(saved/'clothes.pkl'), str(photos()[0]), '--trust')
    assert r.returncode == 0, r.stderr[-2000:]                  # a pickle you trust still loads
    pickle.loads((hub/'model.pkl').read_bytes())                # the payload is real: unpickling does run it
    assert marker.exists()

def upload(page, path):
    "Upload `path` through the app's FileUpload widget, as a user would: click it, pick the file."
    with page.expect_file_chooser() as fc: page.locator('.mylib-app .widget-upload').click()
    fc.value.set_files(str(path))

def offline_page(browser):
    "A page whose requests to anywhere but this machine fail at once, so nothing waits on the network."
    import re
    page = browser.new_page(viewport=dict(width=1200, height=900)); page.set_default_timeout(180_000)
    page.route(re.compile(r'^(?!http://127\.0\.0\.1[:/])'), lambda route: route.abort())
    return page

def test_app_in_voila(saved, tmp_path, browser):
    from mylib.deployment import app_notebook
    app_notebook(saved/'clothes', tmp_path/'app.ipynb')                        # the notebook the chapter tells the learner to serve
    bad = tmp_path/'notes.png'; bad.write_text('this is text, not a picture')
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent/'voila'), str(tmp_path/'app.ipynb'), '--no-browser', f'--port={port}',
                             '--Voila.ip=127.0.0.1'], stdout=open(tmp_path/'voila.log', 'w'), stderr=subprocess.STDOUT,
                            env={**os.environ, 'MPLBACKEND': 'Agg'})
    try:
        wait_http(f'http://127.0.0.1:{port}/', proc)
        page = offline_page(browser)
        page.goto(f'http://127.0.0.1:{port}/')
        page.locator('.mylib-app select').wait_for()
        page.locator('.mylib-app select').select_option('astronaut')
        page.wait_for_function("() => document.querySelector('.mylib-pred') && document.querySelector('.mylib-pred').innerText.includes('astronaut')")
        text = page.locator('.mylib-app-result').inner_text()
        assert 'Sneaker' in text and '%' in text
        upload(page, photos()[0])
        page.wait_for_function("() => document.querySelector('.mylib-pred').innerText.includes('.png')")
        hostile = tmp_path/'<img src=x onerror="window.__pwned=1">.png'; shutil.copy(photos()[1], hostile)
        upload(page, hostile)                                       # a file name is shown as text, never run as markup
        page.wait_for_function("() => document.querySelector('.mylib-pred').innerText.includes('onerror')")
        assert page.evaluate('window.__pwned') is None and page.locator('.mylib-app-result img').count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS/'app_voila.png'), full_page=True)
        upload(page, bad)
        page.locator('.mylib-error').wait_for()
        assert 'not an image' in page.locator('.mylib-error').inner_text()
        assert 'Traceback' not in page.content()
        page.close()
    finally:
        proc.terminate(); proc.wait(20)

def test_gradio_space(saved, tmp_path, browser):
    "The Space folder served by `python app.py`: a real upload gets the model's answer; a non-image and a bomb get a message."
    from PIL import Image
    from mylib.deployment import space_folder
    title = 'Clothes <b>test</b> "q" \'\n<script>window.__pwned = 1</script>'   # once became code in app.py and markup in the page
    space = space_folder(saved/'clothes', tmp_path/'space', title, 'A test Space <img src=x onerror="window.__pwned=2">.', photos()[:2])
    bad, bomb = tmp_path/'notes.png', tmp_path/'bomb.png'
    bad.write_text('this is text, not a picture')
    Image.new('1', (12_000, 12_000)).save(bomb)                 # 144 M pixels in a few kB of PNG
    assert bomb.stat().st_size < 100_000
    expected = json.loads((saved/'probs.json').read_text())['prediction']
    port = free_port()
    proc = subprocess.Popen([sys.executable, 'app.py'], cwd=space, stdout=open(tmp_path/'space.log', 'w'), stderr=subprocess.STDOUT,
                            env={**os.environ, 'GRADIO_SERVER_PORT': str(port), 'GRADIO_SERVER_NAME': '127.0.0.1'})
    try:
        wait_http(f'http://127.0.0.1:{port}/', proc, timeout=180)
        page = offline_page(browser)
        page.goto(f'http://127.0.0.1:{port}/')
        page.wait_for_selector('input[type=file]', state='attached')
        def submit(path):
            page.locator('input[type=file]').first.set_input_files(str(path))
            page.get_by_role('button', name='Submit', exact=True).click()
        page.get_by_text('Clothes <b>test</b>').first.wait_for()         # the title, shown as the text it is
        submit(photos()[0])
        label = page.locator('[data-testid="label-output-value"]')
        label.wait_for()
        assert label.inner_text().strip() == expected[str(0)]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS/'app_gradio.png'), full_page=True)
        submit(bad)
        page.locator('.toast-body:has-text("notes.png is not an image")').wait_for()
        submit(bomb)
        page.locator('.toast-body:has-text("bomb.png is 12000x12000 pixels")').wait_for()
        assert page.evaluate('window.__pwned') is None          # neither title nor description ran as script
        assert proc.poll() is None                              # the server is still up...
        page.get_by_role('button', name='Clear', exact=True).first.click()
        submit(photos()[1])
        page.wait_for_function("() => document.querySelector('[data-testid=\"label-output-value\"]')")
        assert page.locator('[data-testid="label-output-value"]').inner_text().strip() == expected[str(1)]   # ...and still answers
        page.close()
    finally:
        proc.terminate(); proc.wait(20)

def test_share_folders_never_swallow_other_files(saved, tmp_path):
    "A folder of someone else's files is refused untouched; rewriting our own Space keeps a file the user added."
    from mylib.deployment import space_folder
    other = tmp_path/'other'; other.mkdir(); (other/'thesis.tex').write_text('mine')
    with pytest.raises(FileExistsError, match='not written by space_folder'): space_folder(saved/'clothes', other, 't')
    assert [p.name for p in other.iterdir()] == ['thesis.tex']
    sp = space_folder(saved/'clothes', tmp_path/'space', 't', examples=photos()[:2])
    (sp/'LICENSE').write_text('mine')
    sp = space_folder(saved/'clothes', sp, 't', examples=photos()[2:3])
    assert (sp/'LICENSE').read_text() == 'mine' and len(list((sp/'examples').iterdir())) == 1
