"""Regression tests for issue 14 ("Hardening, round two"), each with the hostile input that
exposed the problem: names that became paths, the server-path box, kills mid-write,
control characters and look-alike names, Markdown in pages, deep JSON bundles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workshop.cli import main
from workshop.core.errors import InputError
from workshop.core.fileio import path_inside, safe_name
from workshop.interview.model import Application
from workshop.store import Store

ROOT = Path(__file__).resolve().parent.parent
APP = "payroll"


def small_sample(path: Path, rows: int = 200) -> Path:
    lines = ["timestamp,user,action,outcome"]
    for i in range(rows):
        lines.append(f"2024-03-{1 + i % 28:02d}T{8 + i % 10:02d}:{i % 60:02d}:00Z,user{i % 7},login,success")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def app_ws(workspace: Path) -> Path:
    with Store.open(workspace) as s:
        s.create_application(Application(slug=APP, name="Payroll"))
    return workspace


# -- item 1: names that become paths -------------------------------------------------------
@pytest.mark.parametrize("hostile", ["../../../../../tmp/x", "/etc/passwd", "..", ".", "", "a/../../b", ".hidden"])
def test_safe_name_never_leaves_one_component(hostile: str) -> None:
    try:
        name = safe_name(hostile)
    except InputError:
        return
    assert "/" not in name and not name.startswith(".") and name not in {"", ".", ".."}


def test_path_inside_refuses_traversal_absolute_and_symlinks(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "link").symlink_to(tmp_path)
    assert path_inside(base, "a", "b.csv") == (base / "a" / "b.csv").resolve()
    for parts in (("..", "x"), ("/etc/passwd",), ("link", "x"), ("a/../../x",)):
        with pytest.raises(InputError):
            path_inside(base, *parts)


def test_log_source_with_dots_and_slashes_stays_in_the_workspace(app_ws: Path, tmp_path: Path) -> None:
    sample = small_sample(tmp_path / "in.csv")
    outside = Path("/tmp/x-v1.csv")
    outside.unlink(missing_ok=True)
    code = main(["baseline", "attach", APP, str(sample), "--log-source", "../../../../../tmp/x", "--keep-sample",
                 "--workspace", str(app_ws)])  # fmt: skip
    assert not outside.exists()
    assert not list(tmp_path.glob("x-v1*")) and not list(app_ws.parent.glob("x-v1*"))
    if code == 0:  # kept, under a safe name inside the workspace's samples folder
        with Store.open(app_ws) as s:
            kept = Path(s.get_baseline(APP).sample_path)
        assert kept.resolve().is_relative_to((app_ws / "samples" / APP).resolve())
        assert kept.read_bytes() == sample.read_bytes()


def test_export_refuses_a_file_name_outside_the_folder(tmp_path: Path) -> None:
    from workshop.core.fileio import atomic_write_set

    with pytest.raises(InputError):
        atomic_write_set(tmp_path / "out", {"ok.md": b"x", "../escape.md": b"y"})
    assert not (tmp_path / "escape.md").exists() and not (tmp_path / "out").exists()


# -- item 2: the server-path box -------------------------------------------------------------
def test_server_files_are_off_by_default_and_limited_to_the_folder(tmp_path: Path, monkeypatch) -> None:
    from workshop.services.baselines import SERVER_FILES_ENV, server_file

    monkeypatch.delenv(SERVER_FILES_ENV, raising=False)
    with pytest.raises(InputError, match="off"):
        server_file("/etc/shadow")
    folder = tmp_path / "samples"
    folder.mkdir()
    (folder / "ok.csv").write_text("a\n")
    (folder / "escape.csv").symlink_to("/etc/passwd")
    monkeypatch.setenv(SERVER_FILES_ENV, str(folder))
    assert server_file("ok.csv") == (folder / "ok.csv").resolve()
    assert server_file(str(folder / "ok.csv")) == (folder / "ok.csv").resolve()
    for hostile in ("/etc/shadow", "../../../../etc/passwd", "escape.csv", "/etc/does-not-exist"):
        with pytest.raises(InputError) as err:
            server_file(hostile)
        assert "root:" not in str(err.value) and "only files inside" in str(err.value)


# -- item 2 and 6 on the page: no server box by default, no upload left behind ---------------
def _open(page: str, slug: str | None = APP):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if slug:
        at.query_params["app"] = slug
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _uploads() -> set[str]:
    """Upload copies in the temporary folder (a test calling this uses ``own_tempdir``)."""
    import tempfile

    return {p.name for p in Path(tempfile.gettempdir()).glob("workshop-sample-*")}


def test_baselines_page_has_no_server_path_box_unless_enabled(app_ws: Path, tmp_path: Path, monkeypatch) -> None:
    from workshop.services.baselines import SERVER_FILES_ENV

    monkeypatch.delenv(SERVER_FILES_ENV, raising=False)
    at = _open("workshop/ui/pages/baselines.py")
    assert not [t for t in at.text_input if t.key == "bl_path"]
    folder = tmp_path / "server"
    folder.mkdir()
    monkeypatch.setenv(SERVER_FILES_ENV, str(folder))
    at = _open("workshop/ui/pages/baselines.py")
    at.text_input(key="bl_path").input("/etc/shadow").run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert "only files inside" in shown and "root:" not in shown
    at.text_input(key="bl_path").input("/etc/passwd").run()
    assert "root:" not in " ".join(e.value for e in at.error)


@pytest.mark.usefixtures("own_tempdir")
def test_an_uploaded_sample_is_deleted_whatever_happens(app_ws: Path, tmp_path: Path) -> None:
    before = _uploads()
    at = _open("workshop/ui/pages/baselines.py")
    at.file_uploader(key="bl_upload").upload("a.csv", small_sample(tmp_path / "a.csv").read_bytes(), "text/csv").run()
    assert not at.exception and at.selectbox(key="bl_map:user").value == "user"
    assert _uploads() == before  # mapped but not attached: no raw copy stays between runs
    at.file_uploader(key="bl_upload").upload("broken.csv", b"\x00\x01binary", "text/csv").run()
    assert at.error and _uploads() == before  # failed: nothing left either


def test_stale_uploads_are_swept_at_start(tmp_path: Path) -> None:
    import time

    from workshop.core.fileio import sweep_stale_uploads

    old, new = tmp_path / "workshop-sample-old.csv", tmp_path / "workshop-sample-new.csv"
    other = tmp_path / "unrelated-old.csv"
    for p in (old, new, other):
        p.write_text("raw rows")
    past = time.time() - 2 * 3600
    os.utime(old, (past, past))
    os.utime(other, (past, past))
    assert sweep_stale_uploads(folder=tmp_path) == 1
    assert not old.exists() and new.exists() and other.exists()


# -- item 6: kills mid-write leave the old state or the whole new one ------------------------
_SLOW = """
import os, sys, time
from pathlib import Path
marker, what = Path(sys.argv[1]), sys.argv[2]
import shutil
if what == "copy":
    def slow_copy(src, dst, length=0):
        dst.write(src.read(10)); dst.flush()
        marker.write_text("writing"); time.sleep(120)
    shutil.copyfileobj = slow_copy
else:
    real_fsync, calls = os.fsync, []
    def slow_fsync(fd):
        real_fsync(fd)
        calls.append(fd)
        if len(calls) == 2:  # the second file of the set is on disk, the rest is not
            marker.write_text("writing"); time.sleep(120)
    os.fsync = slow_fsync
from workshop.cli import main
sys.exit(main(sys.argv[3:]))
"""


def _kill_mid_write(tmp_path: Path, what: str, argv: list[str]) -> None:
    import signal
    import subprocess
    import sys
    import time

    marker = tmp_path / f"marker-{what}"
    marker.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", _SLOW, str(marker), what, *argv], env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            assert proc.poll() is None, f"the command ended before the write point (code {proc.returncode})"
            assert time.monotonic() < deadline, "the command never reached the write point"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_killed_keep_sample_leaves_no_partial_sample(app_ws: Path, tmp_path: Path) -> None:
    sample = small_sample(tmp_path / "in.csv")
    argv = ["baseline", "attach", APP, str(sample), "--keep-sample", "--workspace", str(app_ws)]
    _kill_mid_write(tmp_path, "copy", argv)
    folder = app_ws / "samples" / APP
    visible = [p for p in folder.rglob("*") if not p.name.startswith(".")] if folder.exists() else []
    assert visible == []  # no sample at all (the old state), certainly no 0-byte or truncated one
    with Store.open(app_ws) as s:
        assert s.list_baselines(APP) == []
    assert main(argv) == 0  # the next attach works and leaves only the whole copy
    assert [p.read_bytes() for p in folder.iterdir()] == [sample.read_bytes()]


def test_killed_export_leaves_the_old_set_or_none(app_ws: Path, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    argv = ["export", APP, "--format", "markdown", "--format", "csv", "--out", str(out), "--workspace", str(app_ws)]
    _kill_mid_write(tmp_path, "fsync", argv)
    assert not out.exists()  # a new folder appears whole or not at all
    assert main(argv) == 0
    old = _tree(out)
    assert len(old) == 3 and not any(".tmp" in name for name in old)
    with Store.open(app_ws) as s:
        s.update_application(APP, owner="Finance systems team")
    _kill_mid_write(tmp_path, "fsync", argv)
    assert _tree(out) == old  # the old set, untouched
    assert main(argv) == 0
    new = _tree(out)
    assert set(new) == set(old) and new != old
    assert not list(tmp_path.glob(".exports.export-*"))  # the killed run's staging folder was removed


# -- item 9: control characters, look-alike names, concurrent imports -----------------------
@pytest.mark.parametrize("hostile", ["Pay\x00roll", "Pay\x1b[31mroll", "Pay\x07roll", "Pay\u202eroll", "Pay\u200broll"])
def test_application_fields_refuse_control_and_invisible_characters(workspace: Path, hostile: str) -> None:
    with Store.open(workspace) as s:
        for fields in ({"name": hostile}, {"name": "ok", "owner": hostile}, {"name": "ok", "description": hostile}):
            with pytest.raises(InputError, match="control characters"):
                s.create_application(Application.from_dict({"slug": "x", **fields}))
        assert s.list_applications() == []


@pytest.mark.parametrize("hostile", ["a\x00b", "ESC \x1b]0;owned\x07", "bell\x07", "rtl \u202egnp.exe", "zero\u200bwidth"])
def test_answers_refuse_control_characters(hostile: str) -> None:
    from workshop.core.errors import AnswerError
    from workshop.questionnaire.model import Question
    from workshop.questionnaire.values import coerce

    for qtype in ("text", "long_text"):
        with pytest.raises(AnswerError, match="control character"):
            coerce(Question("q.x", "X", qtype, ""), hostile)
    with pytest.raises(AnswerError, match="control character"):
        coerce(Question("q.t", "T", "tags", ""), ["fine", hostile])
    assert coerce(Question("q.l", "L", "long_text", ""), "two\nlines\tand a tab") == "two\nlines\tand a tab"


def test_answer_import_and_cli_refuse_a_nul(workspace: Path, tmp_path: Path, capsys) -> None:
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.interview_io import import_interview

    cat = load_questionnaires(workspace)
    q = next(iter(cat.questionnaires.values()))
    question = next(x for x in q.questions if x.type in ("text", "long_text"))
    f = tmp_path / "i.yaml"
    f.write_text(
        f"format: use-case-workshop/interview\nformat_version: 1\napplication:\n  slug: pay\n  name: Pay\n"
        f"interview:\n  questionnaire: {q.id}\n  questionnaire_version: '{q.version}'\n"
        f"answers:\n  {question.id}:\n    value: \"bad\\0value\\e[2J\"\n"
    )
    with Store.open(workspace) as s, pytest.raises(Exception, match="control character"):
        import_interview(s, cat, f)


@pytest.mark.parametrize("second", ["Payroll", "payroll", "PAYROLL ", "Ｐａｙｒｏｌｌ", "Pay\u200broll", "Payroll\u202e"])
def test_look_alike_names_are_refused_for_every_caller(workspace: Path, second: str, capsys) -> None:
    with Store.open(workspace) as s:
        s.create_application(Application(slug="payroll", name="Payroll"))
        with pytest.raises(InputError):
            s.create_application(Application(slug="payroll-2", name=second))
        s.create_application(Application(slug="other", name="Other"))
        with pytest.raises(InputError):
            s.update_application("other", name=second)
    assert main(["apps", "create", "--name", second, "--slug", "cli-x", "--workspace", str(workspace)]) != 0
    with Store.open(workspace) as s:
        assert sorted(a.slug for a in s.list_applications()) == ["other", "payroll"]


def test_two_concurrent_imports_of_one_new_application_both_land(workspace: Path, backend: str) -> None:
    import threading

    stores = [Store.open(workspace) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run(s: Store, n: int) -> None:
        barrier.wait()
        try:
            results.append(s.import_interview("newapp", "q", "1", {"q.a": {"value": f"v{n}"}},
                                              create_application=Application("newapp", "New app")))  # fmt: skip
        except Exception as exc:
            results.append(exc)

    threads = [threading.Thread(target=run, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert not [r for r in results if isinstance(r, Exception)], results
        assert len(stores[0].list_interviews("newapp")) == 2
        assert [a.slug for a in stores[0].list_applications()] == ["newapp"]
    finally:
        for s in stores:
            s.close()


def test_ui_refuses_a_public_address_without_a_login(tmp_path: Path, monkeypatch, capsys) -> None:
    import workshop.cli.ui as ui

    started: list[list[str]] = []
    monkeypatch.setattr(ui.os, "execvpe", lambda cmd0, cmd, env: started.append(cmd))
    monkeypatch.setattr(ui.os, "chdir", lambda path: None)
    monkeypatch.setattr(ui, "secrets_files", lambda: [tmp_path / "none.toml"])
    assert main(["ui", "--host", "0.0.0.0", "--headless"]) != 0
    assert "--insecure-no-login" in capsys.readouterr().err and not started
    for host in ("::", "10.1.2.3", "workshop.internal"):
        with pytest.raises(InputError):
            ui.check_exposure(host, False, [])
    assert main(["ui", "--host", "127.0.0.1", "--headless"]) == 0 and len(started) == 1
    assert main(["ui", "--host", "0.0.0.0", "--headless", "--insecure-no-login"]) == 0 and len(started) == 2
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "https://w/oauth2callback"\ncookie_secret = "x"\n')
    monkeypatch.setattr(ui, "secrets_files", lambda: [secrets])
    assert main(["ui", "--host", "0.0.0.0", "--headless"]) == 0 and len(started) == 3


def test_streamlit_secrets_are_git_ignored() -> None:
    import subprocess

    out = subprocess.run(["git", "check-ignore", ".streamlit/secrets.toml"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, "the login's secrets file must never be committed"


def test_read_only_commands_do_not_write_and_do_not_blame_a_write(workspace: Path, monkeypatch, capsys) -> None:
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from workshop.core.errors import WorkspaceError

    with Store.open(workspace) as s:
        s.create_application(Application(slug=APP, name="Payroll"))

    def no_write(self):
        raise WorkspaceError("the disk holding the workspace is full; free some space and try again (nothing was saved)")

    monkeypatch.setattr(Store, "_write", no_write)
    assert main(["apps", "list", "--workspace", str(workspace)]) == 0  # opening an up-to-date workspace writes nothing
    assert "Payroll" in capsys.readouterr().out
    monkeypatch.undo()
    with Store.open(workspace) as s:
        def full(conn, *_args) -> None:
            raise OperationalError("BEGIN", {}, Exception("disk I/O error"))

        event.listen(s.engine, "begin", full)
        with pytest.raises(WorkspaceError) as err:
            s.list_applications()
        assert "nothing was saved" not in str(err.value) and "full" in str(err.value)


def test_all_changes_saved_is_not_shown_beside_a_save_error(workspace: Path) -> None:
    from streamlit.testing.v1 import AppTest

    (workspace / "questionnaires").mkdir(parents=True)
    (workspace / "questionnaires" / "t.yaml").write_text((ROOT / "tests" / "data" / "all-types.yaml").read_text())
    with Store.open() as s:
        s.create_application(Application("claims", "Claims"))
        s.create_interview("claims", "all-types", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["app"] = "claims"
    at.run()
    at.switch_page("workshop/ui/pages/workshop.py").run()
    at.text_input(key="v:1:basics.name").input("Saved fine").run()
    assert any("All changes saved" in m.value for m in at.markdown)
    from workshop.ui import state

    def cap(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA max_page_count = {cur.execute('PRAGMA page_count').fetchone()[0]}")
        cur.close()

    from sqlalchemy import event

    store = state.store()
    store.engine.dispose()
    event.listen(store.engine, "connect", cap)
    at.text_area(key="v:1:basics.summary").input("z" * 40_000).run()
    assert any("full" in e.value for e in at.error)
    assert not any("All changes saved" in m.value for m in at.markdown)
    store.engine.dispose()


@pytest.fixture
def demo_ws(workspace: Path) -> Path:
    from workshop.services.catalogues import load_questionnaires
    from workshop.services.demo import create_demo

    with Store.open(workspace) as s:
        create_demo(s, load_questionnaires(workspace))
    return workspace


def test_usecase_attack_edit_accepts_only_existing_techniques(demo_ws: Path, tmp_path: Path, capsys) -> None:
    base = ["usecases", "edit", "payroll-portal", "brute-force-login", "attack", "--workspace", str(demo_ws)]
    for bad in ("[TA0001]", "[G0016]", "[T9999]", "[not-an-id]", "T1078"):
        assert main([*base[:5], bad, *base[5:]]) != 0, bad
    assert "TA0001" in capsys.readouterr().err
    assert main([*base[:5], "[T1110.001, {technique: T1078}]", *base[5:]]) == 0
    out = tmp_path / "nav"
    assert main(["export", "payroll-portal", "--format", "navigator", "--out", str(out), "--workspace", str(demo_ws)]) == 0


# -- item 5: a JSON bundle nested 200,000 deep ------------------------------------------------
def _deep_bundle(path: Path) -> Path:
    path.write_text('{"type": "bundle", "objects": ' + "[" * 200_000 + "]" * 200_000 + "}")
    return path


def test_deep_json_bundle_gives_a_clear_error(tmp_path: Path, capsys) -> None:
    from workshop.attack import load_index, load_index_or_builtin
    from workshop.core.errors import LoadError

    bundle = _deep_bundle(tmp_path / "deep.json")
    with pytest.raises(LoadError, match="nested too deeply"):
        load_index(bundle, cache_dir=tmp_path / "cache")
    index, warning = load_index_or_builtin(bundle, tmp_path / "cache")
    assert index.meta.source == "builtin" and "nested too deeply" in warning
    assert main(["attack", "info", "--bundle", str(bundle), "--cache-dir", str(tmp_path / "cache")]) != 0
    assert "nested too deeply" in capsys.readouterr().err


def test_a_broken_configured_bundle_falls_back_with_a_warning_on_the_pages(demo_ws: Path, tmp_path: Path) -> None:
    import yaml

    bundle = _deep_bundle(tmp_path / "enterprise-attack.json")
    (demo_ws / "settings.yaml").write_text(yaml.safe_dump({"attack_bundle": str(bundle)}))  # replaced after it was set
    at = _open("workshop/ui/pages/usecases.py", "payroll-portal")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("nested too deeply" in w.value and "ATT&CK page" in w.value for w in at.warning)
    at = _open("workshop/ui/pages/attack.py", "payroll-portal")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("nested too deeply" in w.value for w in at.warning)
    assert at.text_input(key="attack_bundle_path").value == str(bundle)  # the control to fix it is there


# -- item 8: Markdown from user text in pages ----------------------------------------------------
HOSTILE_NAME = "Pay ![x](http://127.0.0.9:9/name.png) [link](http://127.0.0.9:9/l) www.evil.example $x$ :red[r]"
HOSTILE_PERSON = "Sam ![p](http://127.0.0.9:9/person.png) <img src=http://127.0.0.9:9/i.png> a@evil.example"


def _inert(text: str) -> bool:
    """No Markdown image or link, no bare URL that GitHub Markdown would turn into a link."""
    import re

    return not re.search(r"!?\[[^\]\\]*\]\(|https?://|www\.|<img|(?<!\\)\$[^$]*(?<!\\)\$|:red\[", text)


def test_md_makes_markdown_inert() -> None:
    from workshop.ui.text import md

    for text in (HOSTILE_NAME, HOSTILE_PERSON, "[x](javascript:alert(1))", "<script>x</script>"):
        assert _inert(md(text)), md(text)
    assert md("Payroll Portal") == "Payroll Portal"


def test_pages_render_hostile_names_and_answers_as_text(workspace: Path) -> None:
    from workshop.ui.text import md

    with Store.open(workspace) as s:
        s.create_application(Application(slug="evil", name=HOSTILE_NAME))
        q = next(iter(__import__("workshop.services.catalogues", fromlist=["x"]).load_questionnaires(workspace)
                      .questionnaires.values()))  # fmt: skip
        s.create_interview("evil", q.id, q.version, facilitator=HOSTILE_PERSON)
    for page in ("workshop", "review", "baselines", "usecases"):
        at = _open(f"workshop/ui/pages/{page}.py", "evil")
        titles = [t.value for t in at.title]
        assert titles and HOSTILE_NAME not in titles[0] and md(HOSTILE_NAME) in titles[0], (page, titles)
        rendered = [t.value for t in at.title] + [c.value for c in at.caption] + [m.value for m in at.markdown]
        rendered += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
        assert all(_inert(text) for text in rendered if "unsafe" not in text), (page, rendered)
        if page == "workshop":
            assert any(md(HOSTILE_PERSON) in c.value for c in at.caption)


def test_stale_edit_warning_shows_the_other_answer_as_text(workspace: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from workshop.ui.text import md

    (workspace / "questionnaires").mkdir(parents=True)
    (workspace / "questionnaires" / "t.yaml").write_text((ROOT / "tests" / "data" / "all-types.yaml").read_text())
    with Store.open(workspace) as s:
        s.create_application(Application("claims", "Claims"))
        s.create_interview("claims", "all-types", "1")

    def screen() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.query_params["app"] = "claims"
        at.run()
        at.switch_page("workshop/ui/pages/workshop.py").run()
        return at

    first, second = screen(), screen()
    hostile = "![x](http://127.0.0.9:9/answer.png) [l](http://127.0.0.9:9/l)"
    first.text_input(key="v:1:basics.name").input(hostile).run()
    second.text_input(key="v:1:basics.name").input("mine").run()
    warning = next(e.value for e in second.error if "since you opened it" in e.value)
    assert md(repr(hostile)) in warning and _inert(warning)
