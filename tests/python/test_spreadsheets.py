"""Planners' spreadsheets through the CLI, checked with independent readers (openpyxl, pandas):
scenario workbooks (written, edited, run, converted back), results workbooks and CSV, bad
workbooks (exit 2, sheet/row/column named, nothing written) and the STRESS-DES report."""
import json
import math

import openpyxl
import pandas as pd
import pytest
import yaml

from conftest import ROOT, careflow as run, needs_careflow

pytestmark = needs_careflow
SHEETS = ["about", "options", "agencies", "pools", "cohorts", "services", "pathways", "discharge_checks", "transforms", "lists"]


@pytest.fixture(scope="module")
def default_book(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "default.xlsx"
    run("workbook", ROOT / "scenarios/default.yaml", "--out", path)
    return path


def rows(ws, first=3):
    header = [c.value for c in ws[1]]
    return header, [dict(zip(header, r)) for r in ws.iter_rows(min_row=first, values_only=True) if any(v is not None for v in r)]


def test_scenario_workbook_layout(default_book):
    wb = openpyxl.load_workbook(default_book)
    assert wb.sheetnames == SHEETS
    scenario = yaml.safe_load((ROOT / "scenarios/default.yaml").read_text())
    # services: a row per service, units in row 2, notes on the headers, drop-down lists
    ws = wb["services"]
    header, services = rows(ws)
    assert header[:5] == ["name", "tier", "kind", "agency", "capacity"]
    assert [c.value for c in ws[2]][header.index("capacity")] == "places"
    assert ws.cell(1, header.index("capacity") + 1).comment is not None
    assert [s["name"] for s in services] == [s["name"] for s in scenario["services"]]
    by_name = {s["name"]: s for s in scenario["services"]}
    for s in services:
        # A service made of units gives its places per unit (the units cell), not a total.
        assert s["capacity"] == by_name[s["name"]].get("capacity")
        assert isinstance(s["capacity"], (int, float)) or "units" in by_name[s["name"]]
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("lists!" in f for f in formulas)
    # agencies and budgets, numbers as numbers
    _, agencies = rows(wb["agencies"])
    assert {a["name"]: a["budget_per_year"] for a in agencies} == {a["name"]: float(a["budget_per_year"]) for a in scenario["agencies"]}
    # pathways: a row per destination; every rule's probabilities sum to 1
    _, paths = rows(wb["pathways"])
    sums = {}
    for p in paths:
        sums[(p["service"], p["rule"])] = sums.get((p["service"], p["rule"]), 0) + p["probability"]
    assert all(abs(v - 1) < 1e-9 for v in sums.values())
    assert len(sums) == sum(len(s.get("routes", [])) for s in scenario["services"])
    # options: a row per field
    options = {r[0]: r[1] for r in wb["options"].iter_rows(min_row=2, values_only=True)}
    assert options["careflow"] == 1 and options["name"] == scenario["name"]
    assert options["run.horizon_years"] == scenario["run"]["horizon_years"]


def test_round_trip_yaml_workbook_yaml(default_book, tmp_path):
    back = tmp_path / "back.yaml"
    run("workbook", default_book, "--out", back)
    direct = tmp_path / "direct.yaml"
    run("workbook", ROOT / "scenarios/default.yaml", "--out", direct)
    a, b = yaml.safe_load(direct.read_text()), yaml.safe_load(back.read_text())

    def norm(x):
        if isinstance(x, dict):
            return {k: norm(v) for k, v in x.items() if v not in (None, [], {})}
        if isinstance(x, list):
            return [norm(v) for v in x]
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return float(x)
        if isinstance(x, str):  # PyYAML reads 2.0e6 as text (YAML 1.1)
            try:
                return float(x)
            except ValueError:
                return x
        return x

    assert norm(a) == norm(b)
    # and the same figures, bit for bit
    ja = json.loads(run("run", ROOT / "scenarios/default.yaml", "-r", 2, "-y", 6, "--json").stdout)
    jb = json.loads(run("run", default_book, "-r", 2, "-y", 6, "--json").stdout)
    assert ja["metrics"] == jb["metrics"]


def figure(metrics, family, name, subject=""):
    for m in metrics:
        if m["family"] == family and m["name"] == name and m["subject"] == subject:
            return m["mean"]
    raise KeyError((family, name, subject))


def test_planner_edits_capacity_and_budget_then_gets_results_workbook(default_book, tmp_path):
    edited = tmp_path / "edited.xlsx"
    wb = openpyxl.load_workbook(default_book)
    header, _ = rows(wb["services"])
    cap = header.index("capacity") + 1
    for r in range(3, wb["services"].max_row + 1):
        if wb["services"].cell(r, 1).value == "sc_assessment":
            wb["services"].cell(r, cap).value = 4  # far fewer social workers: longer waits
    for r in range(3, wb["agencies"].max_row + 1):
        if wb["agencies"].cell(r, 1).value == "childrens_social_care":
            wb["agencies"].cell(r, 2).value = 1000000  # a budget far below the spending
    wb.save(edited)

    before, after = tmp_path / "before.xlsx", tmp_path / "after.xlsx"
    run("run", default_book, "-r", 2, "-y", 6, "--xlsx", before, "-q")
    run("run", edited, "-r", 2, "-y", 6, "--xlsx", after, "--csv", tmp_path / "csv", "-q")

    def sheet(path, name):
        return pd.read_excel(path, sheet_name=name, engine="openpyxl")

    w0, w1 = sheet(before, "waits"), sheet(after, "waits")
    pick = lambda df: df[(df.figure == "mean_wait_days") & (df.subject == "sc_assessment")]["mean"].iloc[0]
    assert pick(w1) > pick(w0) + 1
    c0, c1 = sheet(before, "costs"), sheet(after, "costs")
    pot = lambda df, name: df[(df.figure == name) & (df.subject == "pot:childrens_social_care")]["mean"].iloc[0]
    budget = lambda path: next(r[1].value for r in openpyxl.load_workbook(path)["agencies"].iter_rows(min_row=3)
                               if r[0].value == "childrens_social_care")
    # Over budget is the pot's spending beyond its budget. It is averaged over replications, so
    # it is at least the mean spending's excess (equal when every replication is over: the
    # edited budget of £1m is far below the spending).
    spend0 = pot(c0, "spend_per_year")
    assert pot(c0, "over_budget_per_year") >= max(0.0, spend0 - budget(default_book)) - 1e-6
    spend1 = pot(c1, "spend_per_year")
    assert pot(c1, "over_budget_per_year") == pytest.approx(spend1 - budget(edited), rel=1e-9, abs=1e-6)
    assert budget(edited) == 1000000
    assert pot(c1, "over_budget_per_year") > pot(c0, "over_budget_per_year") + 1e6
    # one sheet per table, and the same tables as CSV
    book = openpyxl.load_workbook(after)
    assert book.sheetnames == ["run", "waits", "activity", "step_changes", "costs", "indicators", "invariants"]
    for name in book.sheetnames:
        csv = pd.read_csv(tmp_path / "csv" / f"{name}.csv")
        xl = sheet(after, name)
        assert list(csv.columns) == list(xl.columns)
        assert len(csv) == len(xl)
    # the CSV holds the figures at full precision: equal to --json
    j = json.loads(run("run", edited, "-r", 2, "-y", 6, "--json").stdout)
    csv = pd.read_csv(tmp_path / "csv" / "costs.csv", keep_default_na=False)
    row = csv[(csv.figure == "spend_per_year") & (csv.subject == "")].iloc[0]
    assert float(row["mean"]) == pytest.approx(figure(j["metrics"], "costs", "spend_per_year"), rel=1e-9)


def test_compare_and_sweep_write_workbooks(tmp_path):
    out = tmp_path / "compare.xlsx"
    run("compare", ROOT / "scenarios/status_quo.yaml", ROOT / "scenarios/childrens_trust.yaml", "-r", 2, "-y", 6,
        "--xlsx", out, "--csv", tmp_path / "ccsv")
    d = pd.read_excel(out, sheet_name="differences", engine="openpyxl")
    assert {"scenario", "figure", "difference", "half_width_95", "lower_95", "upper_95", "verdict"} <= set(d.columns)
    assert (d.scenario == "Children's trust").all()
    marked = d.dropna(subset=["verdict"])
    assert set(marked.verdict) <= {"▲", "▼"}
    assert ((marked.verdict == "▲") == (marked.lower_95 > 0)).all()
    e = pd.read_excel(out, sheet_name="economics", engine="openpyxl")
    assert "payback_year" in e.columns and len(e) == 1
    assert (tmp_path / "ccsv" / "differences.csv").exists()

    sweep = tmp_path / "sweep.xlsx"
    run("sweep", ROOT / "scenarios/examples/mm1.yaml", "--set", "services[server].capacity=1,2", "-r", 2, "-y", 3,
        "--out", tmp_path / "sweep.h5", "--xlsx", sweep)
    p = pd.read_excel(sweep, sheet_name="points", engine="openpyxl")
    assert sorted(p.point.unique()) == [1, 2]
    assert "services[server].capacity" in p.columns


def broken(book, tmp_path, name, edit):
    wb = openpyxl.load_workbook(book)
    edit(wb)
    path = tmp_path / name
    wb.save(path)
    return path


def cell_of(wb, sheet, service, column):
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    for r in range(3, ws.max_row + 1):
        if ws.cell(r, 1).value == service:
            return ws.cell(r, header.index(column) + 1), r
    raise KeyError(service)


@pytest.mark.parametrize("case", ["unknown sheet", "unknown column", "wrong type", "missing cell", "bad route", "bad option",
                                  "units row deleted", "unknown destination"])
def test_bad_workbooks_exit_2_naming_sheet_row_column(default_book, tmp_path, case):
    where = {}

    def edit(wb):
        if case == "unknown sheet":
            wb.create_sheet("budgets2")
            where["text"] = "unknown sheet 'budgets2'"
        elif case == "unknown column":
            wb["services"].cell(1, wb["services"].max_column + 1).value = "capcity"
            where["text"] = "sheet 'services', row 1, column 'capcity': unknown column 'capcity'"
        elif case == "wrong type":
            c, r = cell_of(wb, "services", "front_door", "capacity")
            c.value = "ten"
            where["text"] = f"sheet 'services', row {r}, column 'capacity': expected a number, found 'ten'"
        elif case == "missing cell":
            c, r = cell_of(wb, "services", "front_door", "capacity")
            c.value = None
            where["text"] = f"sheet 'services', row {r}, column 'capacity'"
        elif case == "bad route":
            ws = wb["pathways"]
            ws.cell(3, 7).value = 0.5  # the first rule no longer sums to 1
            where["text"] = "sheet 'pathways', row 3"
        elif case == "unknown destination":
            wb["pathways"].cell(3, 6).value = "nowhere"
            where["text"] = "sheet 'pathways', row 3, column 'to'"
        elif case == "units row deleted":
            wb["agencies"].delete_rows(2)
            where["text"] = "sheet 'agencies', row 2, column 'name': expected the unit '—', found 'education'"
        elif case == "bad option":
            ws = wb["options"]
            for r in range(2, ws.max_row + 1):
                if ws.cell(r, 1).value == "run.warmup_years":
                    ws.cell(r, 2).value = 99
                    where["text"] = f"sheet 'options', row {r}, column 'value'"

    path = broken(default_book, tmp_path, "bad.xlsx", edit)
    out = tmp_path / "never.h5"
    p = run("run", path, "-r", 2, "-y", 6, "--out", out, "--xlsx", tmp_path / "never.xlsx", check=False)
    assert p.returncode == 2, p.stderr
    assert str(path) in p.stderr
    assert where["text"] in p.stderr, p.stderr
    assert not out.exists() and not (tmp_path / "never.xlsx").exists()
    assert run("validate", path, check=False).returncode == 2


def test_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    p = run("validate", path, check=False)
    assert p.returncode == 2 and "fake.xlsx" in p.stderr


def test_stress_report(tmp_path):
    h5 = tmp_path / "run.h5"
    run("run", ROOT / "scenarios/prevention_shift.yaml", "-r", 2, "-y", 6, "--out", h5, "-q")
    out = tmp_path / "stress.md"
    run("report", h5, "--stress", "--out", out)
    text = out.read_text()
    for heading in ["## 1. Objectives", "## 2. Logic", "## 3. Data", "## 4. Experimentation", "## 5. Implementation", "## 6. Code access"]:
        assert heading in text
    for item in ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "5.4"]:
        assert f"**{item} " in text
    assert "Philox4x64-10" in text and "prevention_shift" in text and "2 independent replications" in text
    assert "```mermaid" in text
    # the HTML report still works beside it
    html = tmp_path / "report.html"
    run("report", h5, "--out", html)
    assert html.read_text().lstrip().lower().startswith("<!doctype html")
