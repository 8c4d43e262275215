"Sharing as the receiver gets it (issue 33): the Hub card's metadata and snippet, loading by repo id from the Hub cache offline, the Hub folder and the Space in an environment without mylib, gradio_client against the app, and push errors."
import ast, hashlib, http.server, json, os, re, shutil, subprocess, sys, sysconfig, threading
from importlib.metadata import version
from pathlib import Path
from unittest import mock
import pytest, yaml
from conftest import ROOT, run_mod, free_port, wait_http

torch = pytest.importorskip('torch')
from mylib import deployment as dp
from mylib.engine.checkpoint import FORMAT, VERSION, WEIGHTS, CheckpointError, build_model, load_classifier, save_state, saved_files

OFFLINE = {'HF_HUB_OFFLINE': '1', 'GRADIO_ANALYTICS_ENABLED': 'False', 'HF_HUB_DISABLE_TELEMETRY': '1'}

# --- a small saved model (random weights, a distinct last layer), photos, its Hub folder ---------------------------------------

@pytest.fixture(scope='module')
def model(tmp_path_factory):
    cfg = dict(format=FORMAT, version=VERSION, arch='efficientnet_lite0', head='fastai-default', n_out=3, classes=['coat', 'bag', 'shoe'],
               resize=dict(size=[32, 32], method='crop', pad_mode='reflection'), normalize=dict(mean=[.5] * 3, std=[.5] * 3), libraries={})
    torch.manual_seed(1)
    sd = {k: v.detach().clone().contiguous() for k, v in build_model(cfg).state_dict().items()}
    sd['1.8.weight'].normal_(0, 2)                                  # answers that differ clearly from class to class and photo to photo
    return save_state(cfg, sd, tmp_path_factory.mktemp('m')/'model')

@pytest.fixture(scope='module')
def photos(tmp_path_factory):
    from PIL import Image
    d = tmp_path_factory.mktemp('photos')
    for i, c in enumerate([(200, 30, 30), (20, 160, 240)]): Image.new('RGB', (48, 40), c).save(d/f'photo{i}.png')
    return sorted(d.iterdir())

def hub_folder(model, dest, photos, repo_id=None) -> Path:
    "`save_for_hub` of the saved `model` (its files stand in for a learner's: the learner's part is the notebook's test)."
    card = dp.model_card('clothes <b>', 'fashion_clutter: garments on photos', {'accuracy': 0.75}, 'Teaching.', 'Not for people.',
                         ['coat', 'bag', 'shoe'], photos[0].name, repo_id=repo_id)
    with mock.patch.object(dp, 'learner_files', lambda learn: saved_files(model)): return dp.save_for_hub(None, dest, card, photos)

def expected(folder, image) -> list:
    "The workbook's probabilities for `image` from the model in `folder`."
    return [float(p) for p in load_classifier(folder).predict(image)[2]]

def snippet(readme:Path) -> str: return re.search(r'```python\n(.*?)```', readme.read_text(), re.S).group(1)

def fill_cache(cache:Path, repo_id:str, folder:Path, commit:str='0' * 39 + '1') -> Path:
    "The Hub cache's layout for `folder` as model `repo_id` at `commit`: files in blobs/ (named by sha256), snapshot links into them, refs/main."
    repo = cache/f"models--{repo_id.replace('/', '--')}"
    snap = repo/'snapshots'/commit
    for f in sorted(p for p in folder.rglob('*') if p.is_file()):
        data = f.read_bytes(); blob = repo/'blobs'/hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True); blob.write_bytes(data)
        link = snap/f.relative_to(folder); link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo/'refs').mkdir(exist_ok=True); (repo/'refs'/'main').write_text(commit)
    return snap

# --- 1. the card -----------------------------------------------------------------------------------------------------------------

def test_card_metadata_parses_and_its_snippet_runs(model, photos, tmp_path):
    "ModelCard.load reads license, library, base model, datasets and the test result; the card's lines, run in the folder, predict as the workbook."
    from huggingface_hub import ModelCard
    from mylib.engine.checkpoint import lite0_layers
    hub = hub_folder(model, tmp_path/'hub', photos)
    d = ModelCard.load(hub/'README.md').data
    assert (d.license, d.library_name, d.base_model, d.datasets, d.pipeline_tag) == (
        'apache-2.0', 'fastai', 'timm/tf_efficientnet_lite0.in1k', ['zalando-datasets/fashion_mnist'], 'image-classification')
    assert d.eval_results[0].metric_type == 'accuracy' and d.eval_results[0].metric_value == 0.75 and d.model_name == 'clothes <b>'
    assert 'tf_efficientnet_lite0' in Path(sys.modules[lite0_layers.__module__].__file__).read_text()   # the base model is the architecture built
    text = (hub/'README.md').read_text()
    assert 'pip install torch fastai timm safetensors huggingface_hub pillow' in text and '## Intended use' in text and '## Limitations' in text
    r = subprocess.run([sys.executable, '-c', snippet(hub/'README.md') + '\nimport json; print(json.dumps([float(p) for p in probs]))'],
                       capture_output=True, text=True, cwd=hub, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    label_line, probs = r.stdout.strip().splitlines()[-2:]
    want = expected(model, photos[0])
    assert label_line.split()[0] == ['coat', 'bag', 'shoe'][max(range(3), key=want.__getitem__)]
    assert max(abs(a - b) for a, b in zip(json.loads(probs), want)) < 1e-5

def test_card_refuses_a_repo_id_that_is_not_one(tmp_path):
    for bad in ('user/name\nimport os', 'a/b/c', '../x', "me/x'); print('"):
        with pytest.raises(ValueError, match='not a Hub repo id'): dp.model_card('m', 'd', {}, 'i', 'l', ['a'], 'x.png', repo_id=bad)

# --- 2. loading by repo id, offline --------------------------------------------------------------------------------------------------

def test_load_model_by_repo_id_from_the_hub_cache_offline(model, photos, tmp_path, monkeypatch):
    "A filled Hub cache with HF_HUB_OFFLINE=1: load_model('user/clothes') is the shared model; checks are those of a folder; an unknown id says what to do."
    cache = tmp_path/'cache'
    snap = fill_cache(cache, 'user/clothes', hub_folder(model, tmp_path/'hub', photos))
    monkeypatch.setenv('HF_HUB_CACHE', str(cache)); monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    monkeypatch.chdir(tmp_path)
    m = dp.load_model('user/clothes')
    assert m.vocab == ['coat', 'bag', 'shoe'] and [float(p) for p in m.predict(photos[1])[2]] == pytest.approx(expected(model, photos[1]), abs=1e-6)
    bad = fill_cache(cache, 'user/edited', model)                   # the same checks as a local folder: a changed weights file is refused
    blob = (bad/WEIGHTS).resolve(); data = bytearray(blob.read_bytes()); data[-1] ^= 1; blob.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match='sha256 differs'): dp.load_model('user/edited')
    with pytest.raises(FileNotFoundError) as e: dp.load_model('user/unknown')
    msg = str(e.value)
    assert "'user/unknown'" in msg and 'not in the Hub cache' in msg and 'HF_HUB_OFFLINE' in msg and str(cache) in msg
    r = run_mod('mylib.deployment', 'user/unknown', str(photos[0]), env={'HF_HUB_CACHE': str(cache), **OFFLINE})
    err = [l for l in r.stderr.splitlines() if l.strip() and 'Warning' not in l and 'warnings.warn' not in l]
    assert r.returncode != 0 and len(err) == 1 and 'Traceback' not in r.stderr and "'user/unknown'" in err[0] and 'unset' in err[0], r.stderr[-2000:]
    r = run_mod('mylib.deployment', 'user/clothes', str(photos[0]), env={'HF_HUB_CACHE': str(cache), **OFFLINE})
    assert r.returncode == 0 and 'prediction' in r.stdout, r.stderr[-2000:]
    assert dp.is_repo_id('user/clothes') and not any(map(dp.is_repo_id, ('clothes', '/a/b', './a', 'a/b/c', '../a', 'a/..')))

# --- 3. without the workbook -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def bare_python(tmp_path_factory):
    "A fresh venv that sees the workbook's libraries (a .pth line) but not mylib: that folder's own .pth files, the editable install's among them, are not run."
    d = tmp_path_factory.mktemp('venv')/'bare'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(d)], check=True, timeout=120)
    site = next((d/'lib').glob('python3*/site-packages'))
    (site/'workbook_libraries.pth').write_text(sysconfig.get_paths()['purelib'] + '\n')
    return d/'bin'/'python'

def bare_env(**kw) -> dict:
    "This environment without PYTHONPATH (which names the workbook), offline, with `kw`."
    return {**{k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}, **OFFLINE, **kw}

def run_bare(python, code, cwd, **env):
    return subprocess.run([str(python), '-c', code], capture_output=True, text=True, cwd=cwd, env=bare_env(**env), timeout=600)

def test_the_bare_environment_has_no_mylib(bare_python, tmp_path):
    r = run_bare(bare_python, 'import mylib', tmp_path)
    assert r.returncode != 0 and "No module named 'mylib'" in r.stderr
    r = run_bare(bare_python, 'import torch, fastai, timm, safetensors, huggingface_hub, PIL, gradio_client', tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]

def test_hub_folder_loads_without_the_workbook(model, photos, bare_python, tmp_path):
    "The card's lines, run with Python that has no mylib: from the Hub cache by repo id (offline), and in a copy of the folder; the workbook's answer."
    hub = hub_folder(model, tmp_path/'hub', photos, repo_id='user/clothes')
    assert {'mylib/engine/checkpoint.py', 'mylib/engine/core.py', 'mylib/engine/image_reader.py'} <= {str(p.relative_to(hub)) for p in hub.rglob('*.py')}
    fill_cache(tmp_path/'cache', 'user/clothes', hub)
    code = snippet(hub/'README.md')
    assert "snapshot_download('user/clothes')" in code
    report = "\nimport json; print(json.dumps([sys.modules['mylib'].__file__, [float(p) for p in probs]]))"
    work = tmp_path/'elsewhere'; work.mkdir()
    r = run_bare(bare_python, code + report, work, HF_HUB_CACHE=str(tmp_path/'cache'))
    assert r.returncode == 0, r.stderr[-3000:]
    where, probs = json.loads(r.stdout.strip().splitlines()[-1])
    assert '/models--user--clothes/snapshots/' in where                # the loader that came with the model
    assert max(abs(a - b) for a, b in zip(probs, expected(model, photos[0]))) < 1e-5
    local = hub_folder(model, tmp_path/'hub2', photos)                  # no repo id: the lines run in the folder itself
    r = run_bare(bare_python, snippet(local/'README.md') + report, local)
    assert r.returncode == 0, r.stderr[-3000:]
    assert max(abs(a - b) for a, b in zip(json.loads(r.stdout.strip().splitlines()[-1])[1], expected(model, photos[0]))) < 1e-5

# --- 4. the Space's files --------------------------------------------------------------------------------------------------------------

@pytest.fixture(scope='module')
def space(model, photos, tmp_path_factory):
    return dp.space_folder(model, tmp_path_factory.mktemp('sp')/'space', 'Clothes', 'A test Space.', photos, repo_id='user/clothes-space')

def test_space_requirements_and_readme(space):
    "requirements.txt names PyTorch's CPU index and versions the installed packages satisfy; the README's python and gradio versions are these."
    from packaging.requirements import Requirement
    lines = (space/'requirements.txt').read_text().splitlines()
    assert lines[0] == '--extra-index-url https://download.pytorch.org/whl/cpu'
    reqs = [Requirement(l) for l in lines[1:]]
    assert {r.name for r in reqs} == {'torch', 'torchvision', 'fastai', 'timm', 'safetensors', 'pillow', 'gradio'}
    for r in reqs: assert r.specifier.contains(version(r.name).split('+')[0]), (r, version(r.name))
    meta = yaml.safe_load((space/'README.md').read_text().split('---\n')[1])
    assert meta['python_version'] == '{}.{}'.format(*sys.version_info[:2]) and meta['sdk_version'] == version('gradio') and meta['sdk'] == 'gradio'
    assert "Client('user/clothes-space').predict(handle_file('photo.jpg'), api_name='/predict')" in (space/'README.md').read_text()

def test_space_app_runs_without_the_workbook(space, photos, bare_python, model):
    "app.py imported by Python without mylib (as the Space's own environment would): classify() gives the workbook's probabilities."
    r = run_bare(bare_python, "import json, sys, app; print(json.dumps([sys.modules['mylib'].__file__, app.classify('examples/photo1.png')]))", space)
    assert r.returncode == 0, r.stderr[-3000:]
    where, got = json.loads(r.stdout.strip().splitlines()[-1])
    assert where.startswith(str(space)) and list(got) == ['coat', 'bag', 'shoe']
    assert list(got.values()) == pytest.approx(expected(model, photos[1]), abs=1e-5)

# --- 5. gradio_client ------------------------------------------------------------------------------------------------------------------

def test_gradio_client_calls_the_running_space(space, photos, bare_python, model, tmp_path):
    "app.py served (no mylib installed), called with the README's own gradio_client line at its local address: the answer is classify()'s."
    call = next(l for l in snippet(space/'README.md').splitlines() if 'Client(' in l)
    port = free_port(); url = f'http://127.0.0.1:{port}/'
    proc = subprocess.Popen([str(bare_python), 'app.py'], cwd=space, stdout=open(tmp_path/'space.log', 'w'), stderr=subprocess.STDOUT,
                            env=bare_env(GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME='127.0.0.1'))
    try:
        wait_http(url, proc, timeout=180)
        code = "from gradio_client import Client, handle_file\n" + call.replace("'user/clothes-space'", repr(url)).replace("'photo.jpg'", repr(str(photos[0])))
        assert code.count(repr(url)) == 1 and code.count(repr(str(photos[0]))) == 1
        r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300, env={**os.environ, **OFFLINE})
        assert r.returncode == 0, r.stderr[-3000:] + (tmp_path/'space.log').read_text()[-2000:]
        got = ast.literal_eval(r.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate(); proc.wait(20)
    want = dict(zip(['coat', 'bag', 'shoe'], expected(model, photos[0])))
    assert got['label'] == max(want, key=want.get)
    assert {c['label']: c['confidence'] for c in got['confidences']} == pytest.approx(want, abs=1e-5)

# --- 6. push errors ---------------------------------------------------------------------------------------------------------------------

def test_push_to_a_closed_port_names_repo_cause_and_fix(model, photos, tmp_path, monkeypatch):
    hub = hub_folder(model, tmp_path/'hub', photos)
    port = free_port(); monkeypatch.setenv('HF_ENDPOINT', f'http://127.0.0.1:{port}')
    with pytest.raises(RuntimeError) as e: dp.push(hub, 'me/clothes', token='hf_not_a_token')
    msg = str(e.value)
    assert "'me/clothes'" in msg and f'127.0.0.1:{port}' in msg and 'check the network' in msg and 'needs a network' in msg, msg
    assert re.search(r'Connect|refused', msg) and 'hf_not_a_token' not in msg, msg
    assert load_classifier(hub).vocab == ['coat', 'bag', 'shoe']      # unchanged

@pytest.mark.parametrize('status,words', [(401, ['HTTP 401', 'hf auth login', 'HF_TOKEN']), (403, ['HTTP 403', 'write access']),
                                          (409, ['HTTP 409', 'another type']), (500, ['HTTP 500', 'try again'])])
def test_push_refused_by_the_hub_says_why(model, photos, tmp_path, monkeypatch, status, words):
    "A Hub (a local stand-in) that answers every request with `status`: the message gives the status, the repo and what to do."
    class Refuse(http.server.BaseHTTPRequestHandler):
        def answer(self):
            body = json.dumps({'error': f'status {status}', 'url': 'http://127.0.0.1/me/clothes'}).encode()   # a 409 from create_repo passes (exist_ok)
            self.send_response(status); self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', str(len(body)))
            self.end_headers(); self.wfile.write(body)
        do_GET = do_POST = do_PUT = do_HEAD = answer
        def log_message(self, *a): pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Refuse); threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setenv('HF_ENDPOINT', f'http://127.0.0.1:{srv.server_port}')
    try:
        with pytest.raises(RuntimeError) as e: dp.push(hub_folder(model, tmp_path/'hub', photos), 'me/clothes', token='hf_x', space=status == 409)
    finally: srv.shutdown()
    msg = str(e.value)
    assert msg.startswith("Could not push") and "'me/clothes'" in msg, msg
    for w in words: assert w in msg, msg
