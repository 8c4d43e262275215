"The concept map (nbs/concepts.yml) stays honest: every section and exercise it names exists, every question is covered."
import json, re
from collections import Counter
from pathlib import Path
import yaml

NBS = Path(__file__).resolve().parent.parent/'nbs'
QUESTIONS = {1: 33, 2: 27, 4: 37}   # the questionnaires of the book's chapters 1, 2 and 4
STATUSES = {'taught', 'partial', 'out-of-scope'}

def concepts() -> list: return yaml.safe_load((NBS/'concepts.yml').read_text())

def headings(nb:Path) -> set:
    "The titles of every markdown heading in the notebook `nb`."
    cells = json.loads(nb.read_text())['cells']
    return {m.group(1).strip() for c in cells if c['cell_type'] == 'markdown'
            for m in re.finditer(r'^#{1,6}\s+(.+)$', ''.join(c['source']), re.M)}

def exercise_ids() -> set:
    "Every exercise id declared in the exercise notebooks."
    return {i for f in (NBS/'exercises').glob('*_exercises.ipynb') for i in re.findall(r"\bid='([\w-]+)'", f.read_text())}

def test_entries_well_formed():
    cs = concepts()
    ids = [c['id'] for c in cs]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for c in cs:
        assert c['chapter'] in QUESTIONS and c['status'] in STATUSES, c['id']
        assert c['idea'].strip() and len(c['idea'].split()) <= 25, f"{c['id']}: an idea is one short sentence"
        assert all(1 <= q <= QUESTIONS[c['chapter']] for q in c['questions']), c['id']
        if c['status'] == 'out-of-scope': assert c.get('reason'), f"{c['id']}: out of scope needs a reason"
        else: assert c.get('where'), f"{c['id']}: say where it is taught"

def test_every_question_covered_once():
    for ch, n in QUESTIONS.items():
        qs = Counter(q for c in concepts() if c['chapter'] == ch for q in c['questions'])
        assert set(qs) == set(range(1, n + 1)), f"chapter {ch}: questions without an idea: {sorted(set(range(1, n + 1)) - set(qs))}"
        assert all(v == 1 for v in qs.values()), f"chapter {ch}: questions under two ideas: {[q for q, v in qs.items() if v > 1]}"

def test_sections_exist():
    missing = []
    for c in concepts():
        w = c.get('where')
        if not w: continue
        nb = NBS/w['notebook']
        if not nb.exists(): missing.append(f"{c['id']}: no notebook {w['notebook']}"); continue
        if w['section'] not in headings(nb): missing.append(f"{c['id']}: no section {w['section']!r} in {w['notebook']}")
    assert not missing, '\n'.join(missing)

def test_exercises_exist():
    known = exercise_ids()
    assert known, 'no exercise ids found'
    unknown = [f"{c['id']}: {c['exercise']}" for c in concepts() if c.get('exercise') and c['exercise'] not in known]
    assert not unknown, unknown

def test_mostly_taught():
    cs = concepts()
    for ch in QUESTIONS:
        es = [c for c in cs if c['chapter'] == ch]
        assert sum(c['status'] == 'taught' for c in es) >= 0.9 * len(es), f"chapter {ch}: under 90% of its ideas taught"
