"""The detection package (issue 19): a folder that passes its own tests with nothing but pySigma,
its SQLite backend and PyYAML, and whose edits come back into the toolkit.

"Nothing but" is checked without a network: the runner runs with ``python -S -s`` (no
site-packages at all) and a PYTHONPATH holding only the files of those three distributions
and of what they require, linked one by one from their installed RECORDs; the toolkit, the
other pySigma backends and pandas are not importable there (asserted). A slow test does the
same in a real virtual environment installed from the package's pinned requirements.txt, and
skips, saying why, when the package index cannot be reached.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import venv
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SLUG = "payroll-portal"
PKG = f"{SLUG}-detections"


def _closure(names: list[str]) -> dict[str, object]:
    found: dict[str, object] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in found:
            continue
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            continue
        found[key] = dist
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(re.split(r"[ ;<>=!~\[(]", req)[0])
    return found


def _only_these(site: Path) -> Path:
    """A folder holding only pySigma, pysigma-backend-sqlite, PyYAML and their requirements."""
    for dist in _closure(["pySigma", "pySigma-backend-sqlite", "PyYAML"]).values():
        for f in dist.files or []:  # type: ignore[attr-defined]
            rel = str(f)
            if rel.startswith("..") or "__pycache__" in rel or ".dist-info" in rel.split("/")[0]:
                continue
            src = Path(dist.locate_file(f))  # type: ignore[attr-defined]
            if src.is_file():
                dest = site / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not dest.exists():
                    dest.symlink_to(src)
    return site


def _copy_ws(source: Path, ws: Path) -> Path:
    """A copy of a workspace whose kept sample is its own (samples are recorded by absolute path)."""
    from workshop.core.workspace import DB_FILENAME

    shutil.copytree(source, ws, ignore=shutil.ignore_patterns("*.lock"))
    with sqlite3.connect(ws / DB_FILENAME) as db:
        db.execute("UPDATE baselines SET sample_path = ? || substr(sample_path, ?) WHERE sample_path LIKE ? || '%'",
                   (str(ws), len(str(source)) + 1, str(source)))  # fmt: skip
    db.close()
    return ws


@pytest.fixture(scope="module")
def demo_ws(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_ws(demo_template, tmp_path_factory.mktemp("pkg") / "ws")


def _cli(ws: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "workshop", "--workspace", str(ws), *argv],
                          capture_output=True, text=True, env=env, cwd=cwd, check=False)  # fmt: skip


@pytest.fixture(scope="module")
def package(demo_ws: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    run = _cli(demo_ws, "export", SLUG, "--format", "package", "--out", str(out), cwd=out)
    assert run.returncode == 0, run.stderr
    return out / PKG


@pytest.fixture(scope="module")
def bare_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _only_these(tmp_path_factory.mktemp("site"))


def _run_bare(package: Path, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1"}
    return subprocess.run([sys.executable, "-S", "-s", "run_tests.py", *args], cwd=package,
                          capture_output=True, text=True, env=env, check=False)  # fmt: skip


def test_the_package_holds_what_a_repository_needs(package: Path) -> None:
    names = {str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()}
    for needed in ("README.md", "run_tests.py", "requirements.txt", ".github/workflows/detections.yml",
                   "workshop-package.json", f"attack/{SLUG}-navigator.json", f"attack/{SLUG}-rules.stix.json",
                   "pipelines/splunk.yml", "docs/logging-requirements.md", f"docs/{SLUG}-use-cases.md"):  # fmt: skip
        assert needed in names, needed
    manifest = json.loads((package / "workshop-package.json").read_text())
    assert manifest["application"] == SLUG and manifest["rules"]
    for rule in manifest["rules"]:
        test = yaml.safe_load((package / "tests" / f"{rule['use_case']}.yml").read_text())
        assert (package / test["rule"]).is_file()
        assert next(c["name"] for c in test["cases"]) == "true_positive"
        assert all((package / c["events"]).is_file() for c in test["cases"])
    workflow = yaml.safe_load((package / ".github/workflows/detections.yml").read_text())
    steps = [s.get("run", "") for s in workflow["jobs"]["rules"]["steps"]]
    assert "python run_tests.py" in steps
    # benign events come from the kept sample wherever the rule stays quiet on part of it
    assert (
        sum(r["benign_source"].startswith("sample") for r in manifest["rules"]) >= len(manifest["rules"]) - 2
    )


def test_the_package_passes_its_own_tests_with_only_pysigma_sqlite_and_yaml(
    package: Path, bare_site: Path
) -> None:
    probe = subprocess.run(
        [sys.executable, "-S", "-s", "-c",
         "import importlib.util as u; print([m for m in ('workshop', 'pandas', 'sigma.backends.splunk', "
         "'sigma.backends.sqlite', 'yaml') if u.find_spec(m) is not None])"],
        cwd=package, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(bare_site), "PYTHONNOUSERSITE": "1"},
    )  # fmt: skip
    assert probe.stdout.strip() == "['sigma.backends.sqlite', 'yaml']"
    run = _run_bare(package, bare_site, "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads(run.stdout[: run.stdout.rindex("]") + 1])
    rules = json.loads((package / "workshop-package.json").read_text())["rules"]
    assert {r["use_case"] for r in results} == {r["use_case"] for r in rules}
    assert all(r["status"] == "PASS" for r in results), [r for r in results if r["status"] != "PASS"]
    assert {r["case"] for r in results} == {"true_positive", "benign"}


def test_the_runner_fails_a_rule_that_no_longer_fires(package: Path, bare_site: Path, tmp_path: Path) -> None:
    copy = tmp_path / PKG
    shutil.copytree(package, copy)
    rule = copy / "rules" / "correlation_payroll_portal_brute_force_login.yml"
    text = rule.read_text()
    assert "gte: 10\n" in text
    rule.write_text(text.replace("gte: 10\n", "gte: 1000\n", 1))
    run = _run_bare(copy, bare_site, "-k", "brute-force")
    assert run.returncode == 1
    assert "FAIL  brute-force-login  true_positive: 0 alert(s)" in run.stdout


def test_a_threshold_changed_in_the_package_comes_back(demo_ws: Path, package: Path, tmp_path: Path) -> None:
    ws = _copy_ws(demo_ws, tmp_path / "ws")
    copy = tmp_path / PKG
    shutil.copytree(package, copy)
    rule = copy / "rules" / "correlation_payroll_portal_brute_force_login.yml"
    rule.write_text(rule.read_text().replace("gte: 10\n", "gte: 25\n", 1))
    granted = copy / "rules" / "payroll_portal_privilege_granted.yml"
    granted.write_text(granted.read_text().replace("status: experimental", "status: test", 1))
    shown = _cli(ws, "import", "package", str(copy), "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    changes = {(c["use_case"], c["field"]): c for c in json.loads(shown.stdout)["changes"]}
    assert changes[("brute-force-login", "parameters.max_failures")]["new"] == 25
    assert changes[("privilege-granted", "status")]["new"] == "implemented"
    from workshop.store import Store

    with Store.open(ws) as s:  # showing changed nothing
        assert s.get_use_case(SLUG, "brute-force-login").parameters["max_failures"].value == 10
    applied = _cli(ws, "import", "package", str(copy), "--apply", "--who", "det-eng", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    with Store.open(ws) as s:
        uc = s.get_use_case(SLUG, "brute-force-login")
        assert uc.parameters["max_failures"].value == 25 and uc.parameters["max_failures"].who == "det-eng"
        assert s.get_use_case(SLUG, "privilege-granted").status == "implemented"
    again = _cli(ws, "import", "package", str(copy), "--json", cwd=tmp_path)
    assert [c for c in json.loads(again.stdout)["changes"] if c["applies"]] == []  # the toolkit now agrees


def test_importing_a_folder_that_is_not_a_package_says_so(demo_ws: Path, tmp_path: Path) -> None:
    run = _cli(demo_ws, "import", "package", str(tmp_path), cwd=tmp_path)
    assert run.returncode != 0 and "not a detection package" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
def test_the_package_passes_in_a_fresh_virtual_environment(package: Path, tmp_path: Path) -> None:
    """A real venv (no system packages) with the package's pinned requirements from the index."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    try:
        install = subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", "requirements.txt"], cwd=package,
                                 capture_output=True, text=True, check=False, timeout=600)  # fmt: skip
    except subprocess.TimeoutExpired:  # an index that answers too slowly is no answer either
        pytest.skip("could not install the package's requirements from the index within 10 minutes")
    if install.returncode != 0:
        pytest.skip(f"could not install the package's requirements from the index: {install.stderr[-300:]}")
    run = subprocess.run([str(py), "run_tests.py"], cwd=package, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 failed" in run.stderr


def test_a_zipped_package_is_read_back_with_names_kept_inside(
    demo_ws: Path, package: Path, tmp_path: Path
) -> None:
    import io
    import zipfile

    from workshop.core.errors import InputError
    from workshop.services.package_import import extract_package, package_changes
    from workshop.store import Store

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in package.rglob("*"):
            if p.is_file():
                text = p.read_bytes()
                if p.name == "correlation_payroll_portal_brute_force_login.yml":
                    text = text.replace(b"gte: 10\n", b"gte: 12\n", 1)
                zf.writestr(f"{PKG}/{p.relative_to(package)}", text)
    folder = extract_package(buf.getvalue(), tmp_path / "x")
    with Store.open(demo_ws) as s:
        slug, changes = package_changes(s, folder)
    assert slug == SLUG and [(c.use_case, c.new) for c in changes if c.applies] == [("brute-force-login", 12)]
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../escape.txt", "x")
    with pytest.raises(InputError):
        extract_package(evil.getvalue(), tmp_path / "y")
    assert not (tmp_path / "escape.txt").exists()


def test_without_a_kept_sample_the_benign_events_are_synthetic_and_still_pass(
    demo_ws: Path, bare_site: Path, tmp_path: Path
) -> None:
    ws = _copy_ws(demo_ws, tmp_path / "ws")
    for sample in (ws / "samples").rglob("*"):
        if sample.is_file():
            sample.unlink()  # the baseline stays; its sample is no longer kept
    out = tmp_path / "out"
    run = _cli(ws, "export", SLUG, "--format", "package", "--out", str(out), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rules = json.loads((out / PKG / "workshop-package.json").read_text())["rules"]
    assert {r["benign_source"] for r in rules} == {"synthetic"}
    assert "No log sample was kept" in (out / PKG / "README.md").read_text()
    tests = _run_bare(out / PKG, bare_site)
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_the_handoffs_page_shows_a_zipped_packages_changes_before_applying_them(
    demo_ws: Path, package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import zipfile

    from tests.support.apptest import open_page
    from workshop.store import Store

    ws = _copy_ws(demo_ws, tmp_path / "ws")
    monkeypatch.setenv("WORKSHOP_HOME", str(ws))
    monkeypatch.delenv("WORKSHOP_DB_URL", raising=False)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in package.rglob("*"):
            if p.is_file():
                data = p.read_bytes()
                if p.name == "correlation_payroll_portal_mass_update.yml":
                    data = data.replace(b"timespan: 1h\n", b"timespan: 2h\n", 1)
                zf.writestr(f"{PKG}/{p.relative_to(package)}", data)
    at = open_page("workshop/ui/pages/handoffs.py")
    at.file_uploader(key="pk_upload").upload(f"{PKG}.zip", buf.getvalue(), "application/zip").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    shown = at.dataframe[-1].value
    assert list(shown["What"]) == ["parameters.window"] and list(shown["In the package"]) == ["2h"]
    with Store.open(ws) as s:  # shown, not applied
        assert s.get_use_case(SLUG, "mass-update").parameters["window"].value == "1h"
    at.button(key="pk_apply").click().run()
    assert not at.exception and at.success
    with Store.open(ws) as s:
        assert s.get_use_case(SLUG, "mass-update").parameters["window"].value == "2h"
