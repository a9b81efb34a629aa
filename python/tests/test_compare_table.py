"""tools/compare_table.py: mean and spread of several pib compare runs, its errors, and the plot's mean ROC
curve."""
import importlib.util
import json
import subprocess
import sys

import pytest

from conftest import SOURCE

TOOL = SOURCE / "tools" / "compare_table.py"

# (fpr, tpr) of a curve with a tie (the rise at fpr 0) and a diagonal step, as pib compare writes it.
CURVE = {"fpr": [0.0, 0.0, 0.5, 1.0], "tpr": [0.0, 0.5, 0.75, 1.0]}


def fake_run(d, seed, pib_acc, dfa_acc, roc=None):
    d.mkdir(parents=True)
    method = lambda acc: {"accuracy": acc, "input_noise": [{"level": 0.0, "accuracy": acc},
                                                          {"level": 0.05, "accuracy": acc - 0.1}],
                          "data_fraction": [{"fraction": 0.1, "accuracy": acc - 0.2}],
                          "ood_auroc": {"msp": 0.6, "energy": 0.7},
                          "measures": 10 * seed, "deploys": 4, "device_busy_s": 1.5, "train_wall_s": 2.0}
    methods = {"pib": method(pib_acc), "dfa": method(dfa_acc)}
    if roc:
        for m in methods.values():
            m["ood_roc"] = {"msp": roc, "energy": roc}
    summary = {"seed": seed, "method_order": ["pib", "dfa"], "methods": methods}
    (d / "summary.json").write_text(json.dumps(summary))


def tool_module():
    spec = importlib.util.spec_from_file_location("compare_table", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True, text=True)


def test_mean_and_sample_sd_per_cell_in_method_order(tmp_path):
    fake_run(tmp_path / "s0", 0, 0.80, 0.50)
    fake_run(tmp_path / "s1", 1, 0.90, 0.70)
    r = run(tmp_path / "s0", tmp_path / "s1", "--out", tmp_path / "t.md")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("| method | clean | noise 0 % | noise 5 % | data 10 % | OOD AUROC (MSP)")
    pib, dfa = lines[2], lines[3]
    assert pib.startswith("| pib | 85.00 ± 7.07 | 85.00 ± 7.07 | 75.00 ± 7.07 | 65.00 ± 7.07 | 60.00 ± 0.00")
    assert dfa.startswith("| dfa | 60.00 ± 14.14")
    assert pib.endswith("| 5.0 | 4.0 | 1.5 | 2.0 |")  # mean measure calls over seeds 0 and 1
    assert "seeds 0, 1" in r.stdout
    assert (tmp_path / "t.md").read_text() == r.stdout


def test_runs_with_other_methods_and_missing_runs_are_errors(tmp_path):
    fake_run(tmp_path / "s0", 0, 0.8, 0.5)
    other = tmp_path / "s1"
    fake_run(other, 1, 0.8, 0.5)
    summary = json.loads((other / "summary.json").read_text())
    summary["method_order"] = ["pib"]
    (other / "summary.json").write_text(json.dumps(summary))
    r = run(tmp_path / "s0", other)
    assert r.returncode != 0 and "has methods" in r.stderr
    r = run(tmp_path / "nothing")
    assert r.returncode != 0 and "no summary.json" in r.stderr


def test_mean_roc_reads_curves_linearly_and_the_top_of_a_rise():
    t = tool_module()
    grid = [0.0, 0.25, 0.5, 0.75, 1.0]
    # At fpr 0 the top of the rise; halfway along the chords from (0, 0.5) to (0.5, 0.75) to (1, 1).
    assert t.mean_roc([CURVE], grid) == [0.5, 0.625, 0.75, 0.875, 1.0]
    assert t.mean_roc([CURVE, CURVE], grid) == t.mean_roc([CURVE], grid)  # identical runs: the run's curve
    diagonal = {"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]}
    assert t.mean_roc([CURVE, diagonal], grid) == [0.25, 0.4375, 0.625, 0.8125, 1.0]
    runs = [{"methods": {"pib": {"ood_auroc": {"msp": a}, "ood_roc": {"msp": CURVE}}}} for a in (0.6, 0.8)]
    panel = t.roc_panel(runs, ["pib"], points=5)
    assert panel["pib"] == (grid, t.mean_roc([CURVE], grid), pytest.approx(0.7))


def test_plot_with_and_without_roc_curves_writes_the_figure(tmp_path):
    pytest.importorskip("matplotlib")
    fake_run(tmp_path / "s0", 0, 0.8, 0.5, roc=CURVE)
    fake_run(tmp_path / "s1", 1, 0.9, 0.7, roc=CURVE)
    fake_run(tmp_path / "old", 2, 0.9, 0.7)  # a summary from before the ROC curves
    for runs, figure in (("s0 s1", "roc.png"), ("s0 old", "mixed.png"), ("old", "no_roc.png")):
        r = run(*(tmp_path / d for d in runs.split()), "--plot", tmp_path / figure)
        assert r.returncode == 0, r.stderr
        assert (tmp_path / figure).stat().st_size > 1000
    old = json.loads((tmp_path / "old" / "summary.json").read_text())
    assert tool_module().roc_panel([old], ["pib"]) == {}
