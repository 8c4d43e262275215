"Sharing as the receiver gets it (issue 33): the Hub card's metadata and snippet, loading by repo id from the Hub cache offline, the Hub folder and the Space in an environment without mylib, gradio_client against the app, push errors, and the Space in a fresh environment from its requirements.txt alone, used in a browser."
import ast, hashlib, http.server, json, os, re, shutil, subprocess, sys, sysconfig, threading, time
from urllib.parse import urlparse
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

# --- 7. the Space installed as the Space would --------------------------------------------------------------------------------------

def clean_env(venv:Path|None=None, **kw) -> dict:
    "This environment without PYTHONPATH, PYTHONHOME, VIRTUAL_ENV, user site-packages or the workbook's bin/ on PATH; `venv` first on PATH."
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', '__PYVENV_LAUNCHER__')}
    path = [p for p in env.get('PATH', '').split(os.pathsep) if p and not Path(p).resolve().is_relative_to(Path(sys.prefix).resolve())]
    if venv: env['VIRTUAL_ENV'] = str(venv); path.insert(0, str(venv/'bin'))
    return {**env, 'PATH': os.pathsep.join(path), 'PYTHONNOUSERSITE': '1', **kw}

def index_reason(url:str) -> str|None:
    "None when the package index at `url` answers for torch, else why not."
    import urllib.request
    try:
        with urllib.request.urlopen(url.rstrip('/') + '/torch/', timeout=10) as r: return None if r.status == 200 else f'HTTP {r.status}'
    except Exception as e: return f'{type(e).__name__}: {getattr(e, "reason", e)}'

def record_space_env(info:dict) -> Path:
    "Print `info` and write it to results/space_env.json, for the issue's closing note."
    out = ROOT/'results'/'space_env.json'; out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(info, indent=1) + '\n')
    print('\nspace env:', json.dumps(info, indent=1))
    return out

def disk_bytes(p:Path) -> int: return int(subprocess.run(['du', '-s', '--block-size=1', str(p)], capture_output=True, text=True, check=True).stdout.split()[0])

@pytest.fixture(scope='module')
def space_venv(space, tmp_path_factory):
    """A fresh venv with pip and nothing but `pip install -r requirements.txt` of the Space, the file as written (its CPU torch index too):
    yields `(python, info)`. Where that index cannot be reached, pip tries it once (PIP_RETRIES=0) and takes torch from the other indexes
    (this machine's pip config: the locally cached build). The venv (gigabytes) is removed afterwards; install time and size go to results/."""
    d = tmp_path_factory.mktemp('space-env')/'venv'
    t0 = time.time()
    subprocess.run([sys.executable, '-m', 'venv', str(d)], check=True, timeout=300, env=clean_env())
    python = d/'bin'/'python'
    lines = (space/'requirements.txt').read_text().splitlines()
    cpu_index = lines[0].split()[-1]
    why = index_reason(cpu_index)
    quick = {} if why is None else {'PIP_RETRIES': '0', 'PIP_TIMEOUT': '10', 'PIP_DEFAULT_TIMEOUT': '10'}   # else 5 retries per package, minutes
    log = tmp_path_factory.getbasetemp()/'space-pip.log'
    t1 = time.time()
    with open(log, 'w') as f:
        r = subprocess.run([str(python), '-m', 'pip', 'install', '-r', str(space/'requirements.txt')], cwd=space, stdout=f, stderr=subprocess.STDOUT,
                           env=clean_env(d, **quick), timeout=1800)
    t2 = time.time()
    assert r.returncode == 0, log.read_text()[-5000:]
    probe = ("import json, sys, torch, pip; from importlib.metadata import distributions; "
             "print(json.dumps(dict(python=sys.version.split()[0], pip=pip.__version__, torch=torch.__version__, cuda=torch.version.cuda, "
             "packages=len({d.metadata['Name'] for d in distributions()}), sys_path=sys.path)))")
    p = subprocess.run([str(python), '-c', probe], capture_output=True, text=True, timeout=300, cwd=d, env=clean_env(d))
    assert p.returncode == 0, p.stderr[-3000:]
    found = json.loads(p.stdout.strip().splitlines()[-1])
    site = next((d/'lib').glob('python3*/site-packages'))
    size = disk_bytes(d)
    cuda = sum(disk_bytes(q) for q in site.iterdir() if q.is_dir() and re.match(r'(nvidia|triton|cuda)', q.name))   # CUDA's own packages
    info = dict(when=time.strftime('%Y-%m-%d %H:%M:%S'), requirements=lines, cpu_index=cpu_index, cpu_index_reached=why is None,
                cpu_index_error=why, pip_env=quick, venv_seconds=round(t1 - t0, 1), install_seconds=round(t2 - t1, 1),
                venv_bytes=size, venv_gb=round(size / 1e9, 2), torch_gb=round(disk_bytes(site/'torch') / 1e9, 2), cuda_packages_gb=round(cuda / 1e9, 2), **{k: v for k, v in found.items() if k != 'sys_path'},
                pip_lines_naming_the_cpu_index=[l for l in log.read_text().splitlines() if urlparse(cpu_index).netloc in l])
    record_space_env(info)
    yield python, {**info, 'sys_path': found['sys_path'], 'log': log}
    shutil.rmtree(d, ignore_errors=True)

def test_space_env_has_what_requirements_pins_and_readme_names(space, space_venv, tmp_path):
    """The Space's own environment: no mylib outside the Space folder, nothing of the workbook's on sys.path, every pin installed as written,
    and the README's python_version and sdk_version are that Python and that gradio; the CPU index, when reachable, gave the CPU torch."""
    python, info = space_venv
    assert not any(str(ROOT) in p or p.startswith(sys.prefix) for p in info['sys_path']), info['sys_path']
    r = subprocess.run([str(python), '-c', 'import mylib'], capture_output=True, text=True, cwd=tmp_path, env=clean_env(python.parent.parent))
    assert r.returncode != 0 and "No module named 'mylib'" in r.stderr, r.stderr[-2000:]
    from packaging.requirements import Requirement
    reqs = [Requirement(l) for l in (space/'requirements.txt').read_text().splitlines()[1:]]
    code = f"import json; from importlib.metadata import version; print(json.dumps({{n: version(n) for n in {[q.name for q in reqs]!r}}}))"
    r = subprocess.run([str(python), '-c', code], capture_output=True, text=True, cwd=tmp_path, env=clean_env(python.parent.parent))
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout)
    for q in reqs:
        (pin,) = q.specifier
        assert pin.operator == '==' and got[q.name].split('+')[0] == pin.version, (q, got[q.name])
    meta = yaml.safe_load((space/'README.md').read_text().split('---\n')[1])
    assert meta['python_version'] == '.'.join(info['python'].split('.')[:2]) and meta['sdk_version'] == got['gradio']
    if info['cpu_index_reached']: assert got['torch'].endswith('+cpu') and info['cuda'] is None, got   # what a Space gets: no CUDA libraries

def test_space_env_serves_the_app_to_a_browser(space, space_venv, photos, model, browser, tmp_path):
    """app.py started by the Space's own Python, offline: a real Chromium uploads a photo and sees the workbook's top class;
    the README's gradio_client call from the workbook's Python gets the workbook's confidences."""
    python, _ = space_venv
    port = free_port(); url = f'http://127.0.0.1:{port}/'
    proc = subprocess.Popen([str(python), 'app.py'], cwd=space, stdout=open(tmp_path/'space.log', 'w'), stderr=subprocess.STDOUT,
                            env=clean_env(python.parent.parent, **OFFLINE, GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME='127.0.0.1'))
    classes = ['coat', 'bag', 'shoe']
    try:
        wait_http(url, proc, timeout=240)
        page = browser.new_page(viewport=dict(width=1200, height=900)); page.set_default_timeout(180_000)
        page.route(re.compile(r'^(?!http://127\.0\.0\.1[:/])'), lambda route: route.abort())   # nothing from anywhere but this machine
        page.goto(url)
        page.locator('input[type=file]').first.set_input_files(str(photos[0]))
        page.get_by_role('button', name='Submit', exact=True).click()
        label = page.locator('[data-testid="label-output-value"]'); label.wait_for()
        want = expected(model, photos[0])
        assert label.inner_text().strip() == classes[max(range(3), key=want.__getitem__)]
        page.close()
        call = next(l for l in snippet(space/'README.md').splitlines() if 'Client(' in l)
        code = "from gradio_client import Client, handle_file\n" + '\n'.join(
            call.replace("'user/clothes-space'", repr(url)).replace("'photo.jpg'", repr(str(p))) for p in photos)
        r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300, env={**os.environ, **OFFLINE})
        assert r.returncode == 0, r.stderr[-3000:] + (tmp_path/'space.log').read_text()[-2000:]
        answers = [ast.literal_eval(l) for l in r.stdout.splitlines() if l.startswith('{')]     # between them, gradio_client's 'Loaded as API'
        assert len(answers) == len(photos), r.stdout
        assert proc.poll() is None
    finally:
        proc.terminate(); proc.wait(20)
    for p, got in zip(photos, answers):
        want = dict(zip(classes, expected(model, p)))
        assert got['label'] == max(want, key=want.get)
        assert {c['label']: c['confidence'] for c in got['confidences']} == pytest.approx(want, abs=1e-5)

def test_hub_folder_by_repo_id_in_the_fresh_environment(model, photos, space, space_venv, tmp_path):
    """The card's lines run by the fresh environment's Python (the card's packages, from the registry, and no mylib), by repo id from a
    filled Hub cache, offline: the workbook's probabilities. Every package the card's install line names is in that environment."""
    python, _ = space_venv
    hub = hub_folder(model, tmp_path/'hub', photos, repo_id='user/clothes')
    line = next(l for l in (hub/'README.md').read_text().splitlines() if l.startswith('pip install '))
    code = f"from importlib.metadata import version; print([version(n) for n in {line.split()[2:]!r}])"
    r = subprocess.run([str(python), '-c', code], capture_output=True, text=True, cwd=tmp_path, env=clean_env(python.parent.parent))
    assert r.returncode == 0, r.stderr[-2000:]
    fill_cache(tmp_path/'cache', 'user/clothes', hub)
    report = "\nimport json; print(json.dumps([sys.modules['mylib'].__file__, [float(p) for p in probs]]))"
    work = tmp_path/'elsewhere'; work.mkdir()
    r = subprocess.run([str(python), '-c', snippet(hub/'README.md') + report], capture_output=True, text=True, cwd=work, timeout=600,
                       env=clean_env(python.parent.parent, **OFFLINE, HF_HUB_CACHE=str(tmp_path/'cache')))
    assert r.returncode == 0, r.stderr[-3000:]
    where, probs = json.loads(r.stdout.strip().splitlines()[-1])
    assert '/models--user--clothes/snapshots/' in where                # the loader that came with the model, not a workbook
    assert max(abs(a - b) for a, b in zip(probs, expected(model, photos[0]))) < 1e-5
