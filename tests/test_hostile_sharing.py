"Hostile input against what the workbook shares: the saved model folder, the CLI, the Hub folder, the Space generator and the app's HTML."
import ast, datetime, hashlib, html, io, json, os, re, shutil, signal, stat, subprocess, sys, threading
from html.parser import HTMLParser
from pathlib import Path
import pytest, yaml
from conftest import ROOT, run_py, run_mod

torch = pytest.importorskip('torch')
from mylib.engine import checkpoint as ck
from mylib.engine.checkpoint import CheckpointError, FORMAT, VERSION, WEIGHTS, build_model, load_classifier, save_state

# --- a small real model, saved without training: random weights are enough for the format --------------------------------

def config(classes=('cat', 'dog'), **kw) -> dict:
    return dict(format=FORMAT, version=VERSION, arch='efficientnet_lite0', head='fastai-default', n_out=len(classes), classes=list(classes),
                resize=dict(size=[32, 32], method='crop', pad_mode='reflection'), normalize=dict(mean=[.5] * 3, std=[.5] * 3), libraries={}, **kw)

def weights(cfg, marker:float=0.) -> dict:
    "Random weights for `cfg`, the last layer filled with `marker`: which model was loaded can be read off them."
    torch.manual_seed(0)
    sd = {k: v.detach().clone().contiguous() for k, v in build_model(cfg).state_dict().items()}
    sd['1.8.weight'].fill_(marker)
    return sd

def marker_of(clf) -> float: return float(clf.model.state_dict()['1.8.weight'].flatten()[0])

@pytest.fixture(scope='module')
def model_a(tmp_path_factory):
    return save_state(config(), weights(config(), 1.), tmp_path_factory.mktemp('a')/'model')

@pytest.fixture(scope='module')
def photo(tmp_path_factory):
    from PIL import Image
    p = tmp_path_factory.mktemp('img')/'photo.png'; Image.new('RGB', (40, 30), (200, 30, 30)).save(p)
    return p

def write_raw(folder:Path, cfg:dict, sd:dict, embed:dict|None=None, weights_bytes:bytes|None=None) -> Path:
    "A model folder written by hand (as another tool, an older mylib or a damaged copy would): the checksum made to match the bytes."
    from safetensors.torch import save
    folder.mkdir(parents=True, exist_ok=True)
    data = weights_bytes if weights_bytes is not None else save(sd, metadata={'format': FORMAT, 'config': json.dumps(embed if embed is not None else cfg, sort_keys=True)})
    (folder/WEIGHTS).write_bytes(data)
    (folder/'config.json').write_text(json.dumps({**cfg, 'files': {WEIGHTS: hashlib.sha256(data).hexdigest()}}))
    return folder

def cli(folder, photo):
    "The real `mylib-predict` command (as `python -m mylib.deployment`) on one photo."
    return run_mod('mylib.deployment', str(folder), str(photo), timeout=300)

def assert_one_clear_line(r, *words):
    "A refusal from the command line: non-zero exit, one line on stderr saying what is wrong, no traceback."
    err = [l for l in r.stderr.splitlines() if l.strip() and 'Warning' not in l and 'warnings.warn' not in l]
    assert r.returncode != 0, r.stdout
    assert len(err) == 1 and 'Traceback' not in r.stderr, r.stderr[-3000:]
    for w in words: assert w in err[0], err[0]

# --- 4. the saved model is one checksummed unit ----------------------------------------------------------------------------

def test_edited_or_swapped_class_names_refused(model_a, tmp_path, photo):
    "Class names reordered, renamed or swapped in from another model's config: refused, in Python and by the CLI, nothing predicts."
    good = json.loads((model_a/'config.json').read_text())
    other = save_state(config(('dog', 'cat')), weights(config(), 2.), tmp_path/'other')
    cases = {'reversed': {**good, 'classes': good['classes'][::-1]}, 'renamed': {**good, 'classes': ['cat', 'fox']},
             'resized': {**good, 'resize': {**good['resize'], 'size': [64, 64]}},
             'swapped': {**json.loads((other/'config.json').read_text()), 'files': good['files']}}
    for name, cfg in cases.items():
        m = shutil.copytree(model_a, tmp_path/name)
        (m/'config.json').write_text(json.dumps(cfg))
        with pytest.raises(CheckpointError, match='differs from the config saved with the weights'): load_classifier(m)
    assert_one_clear_line(cli(tmp_path/'reversed', photo), 'differs from the config saved with the weights', 'classes')
    assert load_classifier(model_a).vocab == ['cat', 'dog']

def _save_loop(folder, classes, marker, n):
    return run_py(f"""
import torch
from mylib.engine.checkpoint import save_state, build_model, FORMAT, VERSION
cfg = dict(format=FORMAT, version=VERSION, arch='efficientnet_lite0', head='fastai-default', n_out=2, classes={classes!r},
           resize=dict(size=[32, 32], method='crop', pad_mode='reflection'), normalize=None, libraries={{}})
sd = {{k: v.detach().clone().contiguous() for k, v in build_model(cfg).state_dict().items()}}; sd['1.8.weight'].fill_({marker})
for i in range({n}): save_state(cfg, sd, {str(folder)!r})
""")

def test_two_kernels_saving_one_folder_never_mix(tmp_path):
    "Two processes save different models into one folder again and again while a third loads: every load is one whole model."
    folder = tmp_path/'shared'
    code = ("import sys\nfrom mylib.engine.checkpoint import load_classifier, CheckpointError\nok = bad = refused = 0\n"
            "pairs = {('a', 'b'): 3.0, ('x', 'y'): 4.0}\n"
            f"for i in range(25):\n    try: c = load_classifier({str(folder)!r})\n    except CheckpointError: refused += 1; continue\n"
            "    w = float(c.model.state_dict()['1.8.weight'].flatten()[0])\n"
            "    if pairs[tuple(c.vocab)] == w: ok += 1\n    else: bad += 1\nprint(ok, bad, refused)")
    import concurrent.futures as cf
    with cf.ThreadPoolExecutor(3) as ex:
        saves = [ex.submit(_save_loop, folder, c, m, 6) for c, m in ((['a', 'b'], 3.0), (['x', 'y'], 4.0))]
        loads = ex.submit(run_py, code)
        results = [s.result() for s in saves]; r = loads.result()
    assert all(s.returncode == 0 for s in results), [s.stderr[-2000:] for s in results]
    assert r.returncode == 0, r.stderr[-2000:]
    ok, bad, refused = map(int, r.stdout.split()[-3:])
    assert bad == 0 and ok + refused == 25, r.stdout                # never one model's classes on the other's weights
    c = load_classifier(folder)
    assert {('a', 'b'): 3.0, ('x', 'y'): 4.0}[tuple(c.vocab)] == marker_of(c)
    assert sorted(p.name for p in folder.iterdir()) == ['config.json', WEIGHTS]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(('.partial', '.old'))]

def test_weights_checked_are_the_weights_loaded(model_a, tmp_path):
    "The weights file is read once; swapping it for another model's, over and over during loads, never loads the other's weights."
    m = shutil.copytree(model_a, tmp_path/'m')
    b = save_state(config(), weights(config(), 9.), tmp_path/'b')
    reads = []
    real_open = open
    def counting_open(p, *a, **k):
        if str(p).endswith(WEIGHTS): reads.append(p)
        return real_open(p, *a, **k)
    import builtins
    builtins.open = counting_open
    try: load_classifier(m)
    finally: builtins.open = real_open
    assert len(reads) == 1, reads
    stop, versions = threading.Event(), [(m/WEIGHTS).read_bytes(), (b/WEIGHTS).read_bytes()]
    def swap():
        i = 0
        while not stop.is_set():
            tmp = m/'.swap.tmp'; tmp.write_bytes(versions[i % 2]); os.replace(tmp, m/WEIGHTS); i += 1
    t = threading.Thread(target=swap); t.start()
    try:
        seen = []
        for _ in range(8):
            try: seen.append(marker_of(load_classifier(m)))
            except CheckpointError as e: assert 'sha256 differs' in str(e)
    finally: stop.set(); t.join()
    assert set(seen) <= {1.0}, seen                                 # model a's weights, or a refusal: never b's

def test_nan_weights_refused_everywhere(tmp_path, photo):
    "NaN weights: refused when saving, when loading, and by the CLI (non-zero exit, one line); a NaN answer is never a class."
    cfg, sd = config(), weights(config())
    sd['1.8.weight'][0, 0] = float('nan')
    with pytest.raises(CheckpointError, match='NaN'): save_state(cfg, sd, tmp_path/'never')
    assert not (tmp_path/'never').exists()
    m = write_raw(tmp_path/'nan', cfg, sd)
    with pytest.raises(CheckpointError, match='NaN or infinite'): load_classifier(m)
    assert_one_clear_line(cli(m, photo), 'NaN')
    sd2 = weights(cfg); sd2['1.6.running_var'].fill_(-1.)            # finite weights whose answers are NaN (the square root of -1)
    clf = ck.ImageClassifier(ck._fits(cfg, sd2, 'test'), cfg)
    with pytest.raises(CheckpointError, match='NaN'): clf.predict(photo)

KILL = """
import os, signal, sys, torch
import mylib.engine.checkpoint as c
cfg = dict(format=c.FORMAT, version=c.VERSION, arch='efficientnet_lite0', head='fastai-default', n_out=2, classes=['new1', 'new2'],
           resize=dict(size=[32, 32], method='crop', pad_mode='reflection'), normalize=None, libraries={{}})
sd = {{k: v.detach().clone().contiguous() for k, v in c.build_model(cfg).state_dict().items()}}
real = c.write_new
def dying(path, data):
    if path.name == {name!r}:
        with open(path, 'xb') as f: f.write(data[:len(data) // 2]); f.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    return real(path, data)
c.write_new = dying
c.save_state(cfg, sd, {folder!r})
"""

@pytest.mark.parametrize('name', [WEIGHTS, 'config.json'])
@pytest.mark.parametrize('existed', [True, False])
def test_save_killed_half_way_loses_nothing(model_a, tmp_path, name, existed):
    "A save SIGKILLed in the middle of the weights or before its config: the old model loads as it was (or there is none), nothing "
    "half-written is inside the folder (so nothing would be uploaded), and the next save succeeds and tidies up."
    folder = tmp_path/'m'
    if existed: shutil.copytree(model_a, folder)
    r = run_py(KILL.format(name=name, folder=str(folder)))
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    if existed:
        assert sorted(p.name for p in folder.iterdir()) == ['config.json', WEIGHTS]
        assert load_classifier(folder).vocab == ['cat', 'dog']
    else:
        assert not folder.exists()
        with pytest.raises(CheckpointError, match='has no config.json'): load_classifier(folder)
    assert [p for p in tmp_path.iterdir() if p.name.endswith('.partial')]   # the half-written folder is beside, hidden
    save_state(config(('x', 'y')), weights(config(('x', 'y')), 5.), folder)    # never refused from then on
    assert load_classifier(folder).vocab == ['x', 'y'] and not [p for p in tmp_path.iterdir() if p.name.endswith('.partial')]

def test_kill_between_the_two_renames_is_repaired(model_a, tmp_path, monkeypatch):
    "Where folders can't be exchanged in one step, a kill between moving the old folder away and the new one in: the next "
    "publish puts the old one back first."
    folder = shutil.copytree(model_a, tmp_path/'m')
    r = run_py(f"""
import os, signal
from pathlib import Path
import mylib.engine.checkpoint as c
c._exchange = lambda a, b: False
real = Path.rename
def rename(self, target):
    out = real(self, target)
    if str(target).endswith('.old'): os.kill(os.getpid(), signal.SIGKILL)
    return out
Path.rename = rename
c.publish_folder({str(folder)!r}, lambda tmp: (tmp/'x').write_text('new'))
""")
    assert r.returncode == -signal.SIGKILL and not folder.exists()
    def failing(tmp): raise OSError('disk full')
    with pytest.raises(OSError, match='disk full'): ck.publish_folder(folder, failing)
    assert load_classifier(folder).vocab == ['cat', 'dog']           # the old model is back, whole
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('.m.') and not p.name.endswith('.lock')]

@pytest.mark.parametrize('umask', [0o022, 0o077, 0o002])
def test_weights_and_config_get_the_same_mode(tmp_path, umask):
    "Both files get the mode the umask gives (never 0600 weights beside a 0644 config), and the folder too."
    r = run_py(f"""
import os; os.umask({umask})
from mylib.engine.checkpoint import save_state, build_model, FORMAT, VERSION
cfg = dict(format=FORMAT, version=VERSION, arch='efficientnet_lite0', head='fastai-default', n_out=2, classes=['a', 'b'],
           resize=dict(size=[32, 32], method='crop', pad_mode='reflection'), normalize=None, libraries={{}})
save_state(cfg, {{k: v.contiguous() for k, v in build_model(cfg).state_dict().items()}}, {str(tmp_path/'m')!r})
""")
    assert r.returncode == 0, r.stderr[-2000:]
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path/'m').iterdir()}
    assert modes == {'config.json': 0o666 & ~umask, WEIGHTS: 0o666 & ~umask}, modes
    assert stat.S_IMODE((tmp_path/'m').stat().st_mode) == 0o777 & ~umask

def test_hub_cache_snapshot_loads_and_links_out_are_refused(model_a, tmp_path, photo):
    "The Hub cache layout (snapshot files are relative links into ../../blobs) loads; a link out of that repository is refused."
    repo = tmp_path/'hub'/'models--me--clothes'; snap = repo/'snapshots'/'4a1b2c'
    (repo/'blobs').mkdir(parents=True); snap.mkdir(parents=True)
    for n in ('config.json', WEIGHTS):
        data = (model_a/n).read_bytes(); blob = hashlib.sha256(data).hexdigest()
        (repo/'blobs'/blob).write_bytes(data); (snap/n).symlink_to(f'../../blobs/{blob}')
    assert load_classifier(snap).vocab == ['cat', 'dog']
    r = cli(snap, photo); assert r.returncode == 0, r.stderr[-2000:]
    other = tmp_path/'hub'/'models--someone--else'/'blobs'; other.mkdir(parents=True)
    shutil.copy(model_a/WEIGHTS, other/'w')
    for target in (other/'w', model_a/WEIGHTS, Path('../../../models--someone--else/blobs/w')):
        (snap/WEIGHTS).unlink(); (snap/WEIGHTS).symlink_to(target)
        with pytest.raises(CheckpointError, match='points outside its folder'): load_classifier(snap)
    plain = shutil.copytree(model_a, tmp_path/'plain'); (plain/WEIGHTS).unlink(); (plain/WEIGHTS).symlink_to(model_a/WEIGHTS)
    with pytest.raises(CheckpointError, match='points outside its folder'): load_classifier(plain)

ODD = [  # (change to config.json, what the message must name)
    ({'version': '2'}, "'version'"), ({'version': 2.0}, "'version'"), ({'version': True}, "'version'"), ({'version': 0}, "'version'"),
    ({'version': 99}, 'update mylib'), ({'classes': 'catdog'}, "'classes'"), ({'classes': [1, 2]}, "'classes'"),
    ({'classes': ['cat', 'cat']}, 'each class name once'), ({'classes': ['cat']}, "'classes'"), ({'n_out': '2'}, "'n_out'"),
    ({'n_out': 0}, "'n_out'"), ({'n_out': 10**9}, "'n_out'"), ({'resize': {'method': 'crop', 'pad_mode': 'zeros'}}, "'resize.size'"),
    ({'resize': 'big'}, "'resize'"), ({'resize': {'size': [0, 32], 'method': 'crop', 'pad_mode': 'zeros'}}, "'resize.size'"),
    ({'resize': {'size': [32, 32], 'method': 'zoom', 'pad_mode': 'zeros'}}, "'resize.method'"),
    ({'resize': {'size': [32, 32], 'method': 'crop'}}, "'resize.pad_mode'"), ({'normalize': {'mean': 'x', 'std': [1] * 3}}, "'normalize'"),
    ({'normalize': {'mean': [0] * 3, 'std': [0] * 3}}, "'normalize'"), ({'normalize': [0.5]}, "'normalize'"),
    ({'files': []}, "'files'"), ({'files': {}}, "'files'"), ({'files': {WEIGHTS: 123}}, "'files'"), ({'arch': 5}, 'architecture'),
    ({'arch': 'resnet50'}, 'architecture'), ({'head': 'custom'}, "head 'custom'"), ({'format': 'other'}, 'is not a mylib-image-classifier'),
]

def test_odd_config_values_give_checkpoint_errors(model_a, tmp_path):
    "Every odd value in config.json gives mylib's own CheckpointError naming the field and saying what to do: no TypeError, KeyError..."
    good = json.loads((model_a/'config.json').read_text())
    m = shutil.copytree(model_a, tmp_path/'m')
    for change, named in ODD:
        cfg = {**good, **change}
        if 'files' not in change: cfg['files'] = good['files']
        (m/'config.json').write_text(json.dumps(cfg))
        with pytest.raises(CheckpointError) as e: load_classifier(m)
        assert named in str(e.value) and '\n' not in str(e.value), (change, str(e.value))
    for raw, named in [('[1, 2]', 'is not a mylib'), ('{"format": ', 'not valid JSON'), ('[' * 100_000, 'not valid JSON'), ('', 'not valid JSON'),
                       ('{"format": "mylib-image-classifier", "x": "' + 'a' * (2 << 20) + '"}', 'over 1,048,576 bytes'), ('\udcff', 'not valid JSON')]:
        (m/'config.json').write_bytes(raw.encode('utf-8', 'surrogateescape'))
        with pytest.raises(CheckpointError, match=re.escape(named)): load_classifier(m)
    (m/'config.json').unlink(); (m/'config.json').mkdir()
    with pytest.raises(CheckpointError, match='has no config.json'): load_classifier(m)

def test_odd_weights_give_checkpoint_errors(model_a, tmp_path):
    "A huge header, a truncated or garbage weights file, or weights without the config copy (as version 2): mylib's own error."
    cfg = {k: v for k, v in json.loads((model_a/'config.json').read_text()).items() if k != 'files'}
    data = (model_a/WEIGHTS).read_bytes()
    cases = {'huge header': (2**60).to_bytes(8, 'little') + data[8:], 'header past the end': (len(data)).to_bytes(8, 'little') + data[8:],
             'truncated': data[:len(data) // 2], 'garbage': b'\x00' * 7, 'bad json header': (5).to_bytes(8, 'little') + b'{{{{{' + data[13:]}
    for name, bad in cases.items():
        m = write_raw(tmp_path/name.replace(' ', '_'), cfg, {}, weights_bytes=bad)
        with pytest.raises(CheckpointError, match='safetensors file'): load_classifier(m)
    from safetensors.torch import save
    m = write_raw(tmp_path/'nocopy', cfg, {}, weights_bytes=save(weights(config()), metadata={'format': FORMAT}))
    with pytest.raises(CheckpointError, match='carry no copy of the config'): load_classifier(m)

@pytest.mark.parametrize('change,named', [({'version': '2'}, "'version'"), ({'classes': 'catdog'}, "'classes'"),
                                          ({'classes': ['cat', 'cat']}, 'each class name once'),
                                          ({'resize': {'method': 'crop', 'pad_mode': 'zeros'}}, "'resize.size'")])
def test_odd_config_through_the_cli(model_a, tmp_path, photo, change, named):
    "The same through `mylib-predict`: non-zero exit, one clear line, no traceback."
    good = json.loads((model_a/'config.json').read_text())
    m = shutil.copytree(model_a, tmp_path/'m'); (m/'config.json').write_text(json.dumps({**good, **change}))
    assert_one_clear_line(cli(m, photo), named, 'save the model again')

def test_huge_header_through_the_cli(model_a, tmp_path, photo):
    cfg = {k: v for k, v in json.loads((model_a/'config.json').read_text()).items() if k != 'files'}
    m = write_raw(tmp_path/'m', cfg, {}, weights_bytes=(2**60).to_bytes(8, 'little') + b'{}')
    assert_one_clear_line(cli(m, photo), 'not a complete safetensors file')

def test_save_refuses_a_folder_of_other_files(tmp_path):
    "Saving swaps the whole folder: a folder of other things (no saved model in it) is refused untouched."
    d = tmp_path/'models'; d.mkdir(); (d/'notes.txt').write_text('mine')
    with pytest.raises(CheckpointError, match='folder of its own'): save_state(config(), weights(config()), d)
    assert [p.name for p in d.iterdir()] == ['notes.txt']

def test_files_a_user_added_to_a_model_folder_stay(model_a, tmp_path):
    "Re-saving into a model folder keeps what the user put there (a licence, a sub-folder), and drops an old half-written .tmp."
    m = shutil.copytree(model_a, tmp_path/'m')
    (m/'LICENSE').write_text('mine'); (m/'notes').mkdir(); (m/'notes'/'a.txt').write_text('a'); (m/'.model.safetensors.123.tmp').write_bytes(b'x')
    save_state(config(('x', 'y')), weights(config(('x', 'y'))), m)
    assert (m/'LICENSE').read_text() == 'mine' and (m/'notes'/'a.txt').read_text() == 'a' and not (m/'.model.safetensors.123.tmp').exists()
    assert load_classifier(m).vocab == ['x', 'y']

# --- 1. names, titles and labels never become code or markup ---------------------------------------------------------------

HOSTILE = ["plain", "it's", 'say "hi"', "a\nb", "'''triple'''", '"""triple"""', 'x\\', '\\n not a newline', "\\'; import os #",
           '"; __import__("os").system("touch /tmp/pwned") #', "'\n__import__('os').system('touch /tmp/pwned')\n'",
           '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'a: b', 'key: value\nother: 1', '# comment', '---', '\n---\n',
           '...', '- item', '&anchor *ref !!python/object:os.system', '{{ card_data }}', '{title}', '%s %d', 'é ü 中文 👕', '\u2028\u2029\x85',
           '\x00\x07\x1b[31m', '\ufeffbom', '\r\n', ' ', '', 'null', 'yes', '1e3', '|pipe|', 'x' * 5000]

class Tags(HTMLParser):
    "The tags and attributes in a piece of HTML."
    def __init__(self): super().__init__(); self.tags, self.attrs = [], []
    def handle_starttag(self, tag, attrs): self.tags.append(tag); self.attrs += [a for a, _ in attrs]

def markup(s:str) -> Tags:
    t = Tags(); t.feed(s); t.close(); return t

def test_space_app_holds_any_title_as_a_value(tmp_path):
    "app.py parses for every hostile title and description, and holds them exactly: a title never becomes code."
    from mylib.deployment import space_app
    for t in HOSTILE:
        tree = ast.parse(space_app(t, t[::-1]))
        assigned = next(n for n in tree.body if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Tuple))
        assert [e.id for e in assigned.targets[0].elts] == ['TITLE', 'DESCRIPTION']
        assert ast.literal_eval(assigned.value) == (t, t[::-1])
        assert ast.get_docstring(tree, clean=False).startswith(t + ': a Gradio app')
        calls = {n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
        assert 'system' not in calls and '__import__' not in calls, t

def test_space_readme_front_matter_holds_any_title(tmp_path):
    "The README's YAML front matter parses (yaml.safe_load) to the same title and the same other keys; the body shows no markup."
    from mylib.deployment import space_readme
    for t in HOSTILE:
        text = space_readme(t, t, '6.31.0')
        lines = text.split('\n')
        assert lines[0] == '---'
        end = lines.index('---', 1)
        meta = yaml.safe_load('\n'.join(lines[1:end]))
        assert meta['title'] == t and meta['sdk'] == 'gradio' and meta['app_file'] == 'app.py' and meta['pinned'] is False, t
        assert markup('\n'.join(lines[end + 1:])).tags == [], t

def test_model_card_holds_hostile_names(tmp_path):
    "The model card's YAML parses, its body shows no markup, and its loading snippet is Python that names the example exactly."
    from mylib.deployment import model_card
    for t in HOSTILE[::3]:
        card = model_card(t, t, {'accuracy': 0.5, t: 0.25}, t, t, [t, 'b'], example=t)
        text = str(card)
        assert text.startswith('---\n')
        meta = yaml.safe_load(text.split('\n---\n', 1)[0][4:])
        assert meta['model-index'][0]['name'] == t
        body = text.split('\n---\n', 1)[1]
        code = re.search(r'```python\n(.*?)```', body, re.S).group(1)
        call = next(n for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Call) and getattr(n.func, 'attr', '') == 'predict')
        assert ast.literal_eval(call.args[0]) == f'examples/{t}'
        assert markup(body.replace(code, '')).tags == [], t

def test_app_html_escapes_class_names_file_names_and_messages(photo):
    "Class names, a sample's name, an uploaded file's name and an error message reach the widget's HTML as text, never as markup."
    from contextlib import nullcontext
    from mylib.deployment import classifier_app
    for t in HOSTILE[::2]:
        class Fake:
            vocab = [t, t + '2']
            def no_bar(self): return nullcontext()
            def predict(self, img): return self.vocab[0], 0, torch.tensor([0.75, 0.25])
        app = classifier_app(Fake(), {t or '(empty)': photo}, note=t)
        head, (pick, upload), img, out = app.children[0], app.children[1].children, app.children[2], app.children[3]
        assert markup(head.value).tags == ['b'], head.value
        pick.value = t or '(empty)'
        assert set(markup(out.value).tags) <= {'h3', 'b', 'table', 'tr', 'td', 'div', 'small'} and not [a for a in markup(out.value).attrs if a.startswith('on')], out.value
        assert html.escape(t) in out.value
        for content in (photo.read_bytes(), b'not an image'):
            upload.value = ({'name': t + '.png', 'type': 'image/png', 'size': len(content), 'content': memoryview(content),
                             'last_modified': datetime.datetime.now(datetime.timezone.utc)},)
            tags = markup(out.value)
            assert set(tags.tags) <= {'h3', 'b', 'table', 'tr', 'td', 'div', 'small', 'p'} and not [a for a in tags.attrs if a.startswith('on')], out.value

def test_importing_a_hostile_space_app_runs_no_code(model_a, tmp_path, photo):
    "A real Space built with a title that once became code: importing its app.py (as the Hub does) creates no file and shows the title."
    from mylib.deployment import space_folder
    marker = tmp_path/'pwned'
    title = f"'''\"\"\"\nopen({str(marker)!r}, 'w')\n#<script>alert(1)</script>: ---"
    sp = space_folder(model_a, tmp_path/'space', title, title, [photo])
    r = run_py("import sys, json; sys.path.insert(0, '.'); import app; print(json.dumps([app.TITLE, app.DESCRIPTION, app.demo.title]))",
               cwd=sp, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got[:2] == [title, title] and '<script>' not in got[2] and not marker.exists()

# --- 2. the generators never lose what they copy ---------------------------------------------------------------------------

def test_space_rebuilt_from_its_own_model_and_examples(model_a, tmp_path, photo):
    "Regenerating a Space from the model and examples inside it keeps them (byte for byte); examples with one name are all kept."
    from PIL import Image
    from mylib.deployment import space_folder
    a, b, c = (tmp_path/d/'x.png' for d in ('a', 'b', 'c'))
    for i, p in enumerate((a, b, c)): p.parent.mkdir(); Image.new('RGB', (8, 8), (i * 60, 0, 0)).save(p)
    C = tmp_path/'c'/'X.png'; shutil.move(c, C)                     # differs only in case: one file on the Hub or a Mac
    sp = space_folder(model_a, tmp_path/'space', 'Clothes', examples=[a, b, C, photo])
    names = sorted(p.name for p in (sp/'examples').iterdir())
    assert len(names) == 4 and len({n.lower() for n in names}) == 4, names
    before = {p.name: p.read_bytes() for p in (sp/'examples').iterdir()}
    weights_before = (sp/'model'/WEIGHTS).read_bytes()
    (sp/'LICENSE').write_text('mine')
    sp2 = space_folder(sp/'model', sp, 'Clothes again', examples=sorted((sp/'examples').iterdir()))
    assert sp2 == sp.resolve() and {p.name: p.read_bytes() for p in (sp/'examples').iterdir()} == before
    assert (sp/'model'/WEIGHTS).read_bytes() == weights_before and load_classifier(sp/'model').vocab == ['cat', 'dog']
    assert (sp/'LICENSE').read_text() == 'mine' and 'Clothes again' in (sp/'README.md').read_text()

def test_hub_folder_rebuilt_from_its_own_examples(model_a, tmp_path, photo, monkeypatch):
    "save_for_hub from examples inside the folder it rebuilds keeps them; a missing example refuses before anything changes."
    from mylib import deployment as dp
    files = dp.saved_files(model_a)
    monkeypatch.setattr(dp, 'learner_files', lambda learn: files)   # the learner's part is tested in the notebook: here, the folder
    class Card:
        def save(self, p): Path(p).write_text('# card')
    hub = dp.save_for_hub(None, tmp_path/'hub', Card(), [photo])
    before = (hub/'examples'/'photo.png').read_bytes()
    dp.save_for_hub(None, hub, Card(), [hub/'examples'/'photo.png'])
    assert (hub/'examples'/'photo.png').read_bytes() == before and load_classifier(hub).vocab == ['cat', 'dog']
    with pytest.raises(FileNotFoundError, match='is not a file'): dp.save_for_hub(None, hub, Card(), [tmp_path/'missing.png'])
    assert (hub/'examples'/'photo.png').read_bytes() == before

def readme_title(sp) -> str: return yaml.safe_load((sp/'README.md').read_text().split('---\n')[1])['title']

def test_space_killed_half_way_keeps_the_old_space(model_a, tmp_path, photo):
    "A space_folder SIGKILLed while writing: the old Space is whole, nothing half-written is inside it; the next run tidies up."
    from mylib.deployment import space_folder
    sp = space_folder(model_a, tmp_path/'space', 'Old', examples=[photo])
    before = sorted(str(p.relative_to(sp)) for p in sp.rglob('*'))
    r = run_py(f"""
import os, signal
import mylib.engine.checkpoint as c, mylib.deployment as d
real = d.write_new
def dying(path, data):
    if path.name == 'README.md': os.kill(os.getpid(), signal.SIGKILL)
    return real(path, data)
d.write_new = dying
d.space_folder({str(model_a)!r}, {str(sp)!r}, 'New', examples=[{str(photo)!r}])
""")
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert sorted(str(p.relative_to(sp)) for p in sp.rglob('*')) == before and readme_title(sp) == 'Old'
    space_folder(model_a, sp, 'New', examples=[photo])
    assert readme_title(sp) == 'New' and not [p for p in tmp_path.iterdir() if p.name.endswith('.partial')]

def test_push_uploads_no_half_written_or_runtime_files(model_a, tmp_path, monkeypatch, photo):
    "What `push` would send (the real upload_folder, stopped at the commit): no .tmp, __pycache__ or .gradio files."
    from huggingface_hub import HfApi
    from mylib.deployment import push, space_folder
    sp = space_folder(model_a, tmp_path/'space', 'S', examples=[photo])
    (sp/'.app.py.123.tmp').write_text('x'); (sp/'model'/'.model.safetensors.9.tmp').write_text('x')
    (sp/'__pycache__').mkdir(); (sp/'__pycache__'/'app.cpython-311.pyc').write_bytes(b'x'); (sp/'.gradio').mkdir(); (sp/'.gradio'/'f').write_text('x')
    sent, additions = [], HfApi._prepare_upload_folder_additions
    monkeypatch.setattr(HfApi, 'create_repo', lambda self, *a, **k: None)
    monkeypatch.setattr(HfApi, '_prepare_folder_deletions', lambda self, *a, **k: [])
    monkeypatch.setattr(HfApi, '_validate_yaml', lambda self, *a, **k: None)     # a call to the Hub
    def adding(self, *a, **k):                                      # the files the commit would carry; then stop, offline
        sent.extend(op.path_in_repo for op in additions(self, *a, **k))
        raise RuntimeError('offline test')
    monkeypatch.setattr(HfApi, '_prepare_upload_folder_additions', adding)
    with pytest.raises(RuntimeError, match='Could not push'): push(sp, 'me/space', token='x', space=True)
    assert 'app.py' in sent and 'model/model.safetensors' in sent
    assert not [p for p in sent if p.endswith('.tmp') or '__pycache__' in p or p.startswith('.gradio')], sent
