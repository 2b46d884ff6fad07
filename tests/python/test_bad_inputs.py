"""The bad-input catalogue (tests/bad_inputs/expected.tsv) through the real command line.

Each case is refused by `careflow validate` and by `careflow run --out` with exit status 2,
one message naming the file, line and field with the expected fragment, no crash, and no
output file (nor a temporary one) left behind."""
import pytest

from conftest import ROOT, careflow, needs_careflow

CATALOGUE = ROOT / "tests" / "bad_inputs"
pytestmark = needs_careflow


def read_cases():
    cases = []
    for line in (CATALOGUE / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, at, number, field, fragment = line.split("\t")
        cases.append((name, at, number, field, fragment))
    return cases


CASES = read_cases()


def test_catalogue_is_complete():
    """Every file in the directory is a case, and there are at least 40 of them."""
    listed = {c[0] for c in CASES}
    present = {p.name for p in CATALOGUE.iterdir() if p.name != "expected.tsv"}
    assert present <= listed, f"files without an expected message: {sorted(present - listed)}"
    assert len(CASES) >= 40


def check_message(stderr, name, at, number, field, fragment):
    errors = [l for l in stderr.splitlines() if l.startswith("careflow: error: ")]
    assert len(errors) == 1, stderr
    message = errors[0][len("careflow: error: "):]
    # FILE[:LINE]: [FIELD: ]message -- the exact place, in the format every ScenarioError uses.
    where = at + ("" if number == "-" else ":" + number) + ": " + ("" if field == "-" else field + ": ")
    assert message.startswith(where), f"expected the message to start with {where!r}: {message!r}"
    assert fragment in message, f"expected {fragment!r} in {message!r}"
    for crash in ("run failed", "terminate", "Sanitizer", "runtime error", "Aborted", "Traceback"):
        assert crash not in stderr, stderr


@pytest.mark.parametrize("name,at,number,field,fragment", CASES, ids=[c[0] for c in CASES])
def test_validate_refuses(name, at, number, field, fragment):
    proc = careflow("validate", name, cwd=CATALOGUE, check=False, timeout=60)
    assert proc.returncode == 2, proc.stderr
    check_message(proc.stderr, name, at, number, field, fragment)


@pytest.mark.parametrize("name,at,number,field,fragment", CASES, ids=[c[0] for c in CASES])
def test_run_refuses_and_writes_nothing(tmp_path, name, at, number, field, fragment):
    out = tmp_path / "results.h5"
    proc = careflow("run", name, "--replications", 1, "--years", 2, "--out", out, cwd=CATALOGUE, check=False, timeout=60)
    assert proc.returncode == 2, proc.stderr
    check_message(proc.stderr, name, at, number, field, fragment)
    assert proc.stdout == ""
    assert list(tmp_path.iterdir()) == [], "bad input must leave no file behind"
