"""tools/compare_table.py: mean and spread of several pib compare runs, and its errors."""
import json
import subprocess
import sys

from conftest import SOURCE

TOOL = SOURCE / "tools" / "compare_table.py"


def fake_run(d, seed, pib_acc, dfa_acc):
    d.mkdir(parents=True)
    method = lambda acc: {"accuracy": acc, "input_noise": [{"level": 0.0, "accuracy": acc},
                                                          {"level": 0.05, "accuracy": acc - 0.1}],
                          "data_fraction": [{"fraction": 0.1, "accuracy": acc - 0.2}],
                          "ood_auroc": {"msp": 0.6, "energy": 0.7},
                          "measures": 10 * seed, "deploys": 4, "device_busy_s": 1.5, "train_wall_s": 2.0}
    (d / "summary.json").write_text(json.dumps({"seed": seed, "method_order": ["pib", "dfa"],
                                                "methods": {"pib": method(pib_acc), "dfa": method(dfa_acc)}}))


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
