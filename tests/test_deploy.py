"The deployment chapter's front ends for real: the command line, and the app served by Voila in a real browser."
import os, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT, run_py, run_mod, write_notebook, free_port, wait_http

ARTIFACTS = ROOT/'test-artifacts'

@pytest.fixture(scope='module')
def model_file(tmp_path_factory):
    "A small real face / not-face learner, trained for one epoch and exported (in a separate process)."
    f = tmp_path_factory.mktemp('model')/'faces_small.pkl'
    r = run_py(f"""
from fastai.vision.all import Learner, accuracy, Resize
from mylib.core import setup
from mylib.vision import folder_dls, small_cnn
setup()
dls = folder_dls('lfw_faces', item_tfms=Resize(32), bs=16)
learn = Learner(dls, small_cnn(2, c_in=3, width=8), metrics=accuracy)
with learn.no_bar(), learn.no_logging(): learn.fit(2, 3e-3)
learn.export({str(f)!r})
""")
    assert r.returncode == 0, r.stderr[-2000:]
    return f

def photos():
    from mylib.deploy import sample_photos
    from mylib.data import get_data
    return list(sample_photos().values())

def test_cli_predicts_sample_photos(model_file):
    r = run_mod('mylib.deploy', 'predict', str(model_file), *map(str, photos()), '--trust')
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.strip().splitlines()
    assert 'prediction' in lines[0] and len(lines) == 1 + len(photos())
    assert all(('face' in l) for l in lines[1:])

def test_cli_missing_and_corrupt_files(model_file, tmp_path):
    bad = tmp_path/'broken.jpg'; bad.write_bytes(b'\xff\xd8\xff\xe0 not really a jpeg')
    r = run_mod('mylib.deploy', 'predict', str(model_file), str(photos()[0]), str(bad), str(tmp_path/'missing.png'), '--trust')
    assert r.returncode == 1 and 'not an image' in r.stdout and 'no such file' in r.stdout
    r = run_mod('mylib.deploy', 'predict', str(tmp_path/'nomodel.pkl'), str(photos()[0]), '--trust')
    assert r.returncode != 0 and 'not found' in r.stderr

class _Payload:
    "Unpickling this creates the file `marker`: a harmless stand-in for code hidden in a model file."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (open, (str(self.marker), 'w'))

def test_pickles_refused_unless_trusted(tmp_path):
    import pickle
    from mylib.deploy import load_from_hub_folder
    marker, hub = tmp_path/'payload_ran', tmp_path/'hub'
    hub.mkdir(); (hub/'model.pkl').write_bytes(pickle.dumps(_Payload(marker)))
    r = run_mod('mylib.deploy', 'predict', str(hub/'model.pkl'), str(photos()[0]))
    assert r.returncode != 0 and '--trust' in r.stderr and 'nothing was loaded' in r.stderr
    with pytest.raises(PermissionError, match='trust=True'): load_from_hub_folder(hub)
    assert not marker.exists()                                  # refused before anything was unpickled
    pickle.loads((hub/'model.pkl').read_bytes())                # the payload is real: unpickling does run it
    assert marker.exists()

def upload(page, path):
    "Upload `path` through the app's FileUpload widget, as a user would: click it, pick the file."
    with page.expect_file_chooser() as fc: page.locator('.mylib-app .widget-upload').click()
    fc.value.set_files(str(path))

def test_app_in_voila(model_file, tmp_path, browser):
    write_notebook(tmp_path/'app.ipynb', f"from fastai.learner import load_learner\nfrom mylib.deploy import classifier_app\n"
                                         f"classifier_app(load_learner({str(model_file)!r}))")
    bad = tmp_path/'notes.png'; bad.write_text('this is text, not a picture')
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent/'voila'), str(tmp_path/'app.ipynb'), '--no-browser', f'--port={port}',
                             '--Voila.ip=127.0.0.1'], stdout=open(tmp_path/'voila.log', 'w'), stderr=subprocess.STDOUT,
                            env={**os.environ, 'MPLBACKEND': 'Agg'})
    try:
        wait_http(f'http://127.0.0.1:{port}/', proc)
        page = browser.new_page(viewport=dict(width=1200, height=900)); page.set_default_timeout(180_000)
        page.goto(f'http://127.0.0.1:{port}/')
        page.locator('.mylib-app select').wait_for()
        page.locator('.mylib-app select').select_option('astronaut')
        page.wait_for_function("() => document.querySelector('.mylib-pred') && document.querySelector('.mylib-pred').innerText.includes('astronaut')")
        text = page.locator('.mylib-app-result').inner_text()
        assert 'face' in text and '%' in text
        upload(page, photos()[0])
        page.wait_for_function("() => document.querySelector('.mylib-pred').innerText.includes('.png')")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS/'app_voila.png'), full_page=True)
        upload(page, bad)
        page.locator('.mylib-error').wait_for()
        assert 'not an image' in page.locator('.mylib-error').inner_text()
        assert 'Traceback' not in page.content()
        page.close()
    finally:
        proc.terminate(); proc.wait(20)
