"""One run over MPI ranks (`mpirun -np N careflow run REGION.yaml`): the region's sites are placed
on the ranks and run on the MPI executor; the results file holds exactly what one process
writes (every dataset and attribute but the run time: fingerprints, figures, episode records);
a failing rank fails the job, names the rank and leaves no results file; bad input and a
one-site scenario are refused before any work. Registered by tests/CMakeLists.txt only when
careflow is built with MPI."""
import h5py
import numpy as np
import pytest

from conftest import ROOT, careflow, careflow_mpi, needs_careflow_and_mpi

pytestmark = needs_careflow_and_mpi

# The region at 4% of its size over 6 years (1 of them reported): two replications, a second or two each.
ARGS = ["run", str(ROOT / "scenarios/region.yaml"), "--scale", "0.04", "--years", "6", "--replications", "2"]


def contents(path):
    """Every dataset and attribute of a results file, but the run time."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for k, v in obj.attrs.items():
                if k != "run_seconds":
                    out[f"{name}@{k}"] = np.asarray(v)
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        visit("/", f)
        f.visititems(visit)
    return out


def same(x, y):
    if isinstance(x, np.ndarray) and x.dtype.names:
        return x.dtype == y.dtype and all(same(x[n], y[n]) for n in x.dtype.names)
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind == "f":
        return x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
    return np.array_equal(x, y)


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    out = tmp_path_factory.mktemp("one") / "region.h5"
    proc = careflow(*ARGS, "--out", out, check=False)
    assert proc.returncode == 0, proc.stderr
    return contents(out)


@pytest.mark.parametrize("ranks", [2, 3])
def test_a_run_over_ranks_writes_what_one_process_writes(tmp_path, one_process, ranks):
    out = tmp_path / "region.h5"
    proc = careflow_mpi(ranks, *ARGS, "--out", out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("Results written to") == 1, proc.stdout  # rank 0 alone reports
    mine = contents(out)
    assert sorted(mine) == sorted(one_process)
    differ = [k for k in mine if not same(mine[k], one_process[k])]
    assert differ == []
    assert any(k.endswith("@fingerprint") for k in mine)
    assert len(mine["replications/r0000/episodes"]) > 10000


def test_a_failing_rank_fails_the_job_and_leaves_no_file(tmp_path):
    out = tmp_path / "region.h5"
    proc = careflow_mpi(2, *ARGS, "--out", out, CAREFLOW_TEST_FAIL_RANK="1")
    assert proc.returncode != 0
    assert "rank 1 of 2" in proc.stderr, proc.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # no partial file either


def test_a_one_site_scenario_is_refused_before_any_work(tmp_path):
    out = tmp_path / "default.h5"
    proc = careflow_mpi(2, "run", "--years", "6", "--out", out)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("this scenario has one site") == 1, proc.stderr
    assert not out.exists()


def test_bad_input_is_refused_once_with_the_single_process_message(tmp_path):
    bad = ROOT / "tests/bad_inputs/69-region-unknown-site.yaml"
    single = careflow("run", bad, check=False)
    proc = careflow_mpi(2, "run", bad, "--out", tmp_path / "x.h5")
    assert single.returncode == 2 and proc.returncode == 2
    assert proc.stderr.count("careflow: error:") == 1, proc.stderr
    assert single.stderr.strip() in proc.stderr
    assert list(tmp_path.iterdir()) == []
