"""The model download command against a local HTTP server, and the CLI end to end."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from asr.models import ModelDownloadError, ModelSpec, download_model, list_models, load_catalog

from .conftest import ko_model_dir

PROJECT = Path(__file__).resolve().parents[2]


def fake_model_zip(path: Path, name: str, *, evil: bool = False) -> Path:
    """A small zip laid out like the official ones: ``<name>/am``, ``conf``, ``graph`` …"""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/am/final.mdl", b"\0" * 4096)
        archive.writestr(f"{name}/conf/model.conf", "--min-active=200\n")
        archive.writestr(f"{name}/conf/mfcc.conf", "--sample-frequency=8000\n")
        archive.writestr(f"{name}/graph/words.txt", "着火 1\n")
        if evil:
            archive.writestr("../escaped.txt", "outside")
    return path


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields (base URL, folder)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(www))
    handler.log_message = lambda *a, **k: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", www
    finally:
        server.shutdown()
        server.server_close()


def spec_for(zip_path: Path, base: str, name: str, **override: object) -> ModelSpec:
    data = zip_path.read_bytes()
    fields = {
        "name": name,
        "url": f"{base}/{zip_path.name}",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    fields.update(override)
    return ModelSpec(**fields)  # type: ignore[arg-type]


def test_catalogue_holds_both_mandarin_models() -> None:
    catalog = load_catalog()
    small = catalog["vosk-model-small-cn-0.22"]
    assert small.url == "https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip"
    assert small.size == 43_898_754 and len(small.sha256) == 64
    large = catalog["vosk-model-cn-0.22"]
    assert large.url.endswith("/vosk-model-cn-0.22.zip") and large.size > 10**9


def test_download_verifies_unpacks_and_lists(served: tuple[str, Path], tmp_path: Path) -> None:
    base, www = served
    name = "vosk-model-test-0.1"
    spec = spec_for(fake_model_zip(www / f"{name}.zip", name), base, name)
    models = tmp_path / "models"
    seen: list[int] = []
    path = download_model(name, models, catalog={name: spec}, progress=lambda r, t: seen.append(r))
    assert path == models / name
    assert (path / "am" / "final.mdl").is_file()
    assert seen[-1] == spec.size
    [installed] = list_models(models)
    assert (installed.name, installed.sample_rate, installed.usable) == (name, 8000, True)
    assert installed.sha256 == spec.sha256
    # Installed already: no second download (the server no longer has the file).
    (www / f"{name}.zip").unlink()
    assert download_model(name, models, catalog={name: spec}) == path


@pytest.mark.parametrize(
    ("override", "message"),
    [({"sha256": "0" * 64}, "SHA-256"), ({"size": 10}, "more than"), ({"size": 10**7}, "got")],
)
def test_a_mismatch_installs_nothing(
    served: tuple[str, Path], tmp_path: Path, override: dict[str, object], message: str
) -> None:
    base, www = served
    name = "vosk-model-test-0.1"
    spec = spec_for(fake_model_zip(www / f"{name}.zip", name), base, name, **override)
    models = tmp_path / "models"
    with pytest.raises(ModelDownloadError, match=message):
        download_model(name, models, catalog={name: spec})
    assert list(models.iterdir()) == [], "no model and no partial download left behind"


def test_unsafe_archives_and_non_models_are_refused(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    base, www = served
    evil = spec_for(fake_model_zip(www / "evil.zip", "evil", evil=True), base, "evil")
    with pytest.raises(ModelDownloadError, match="unsafe path"):
        download_model("evil", tmp_path / "m", catalog={"evil": evil})
    assert not (tmp_path / "escaped.txt").exists()
    junk = www / "junk.zip"
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("junk/readme.txt", "not a model")
    with pytest.raises(ModelDownloadError, match="does not hold a Vosk model"):
        download_model("junk", tmp_path / "m", catalog={"junk": spec_for(junk, base, "junk")})
    with pytest.raises(ModelDownloadError, match="unknown model"):
        download_model("nope", tmp_path / "m", catalog={})
    unreachable = ModelSpec("gone", "http://127.0.0.1:9/gone.zip", 1, "0" * 64)
    with pytest.raises(ModelDownloadError, match="download from"):
        download_model("gone", tmp_path / "m", catalog={"gone": unreachable}, timeout=5)


def run_cli(*args: str, env_config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "asr", *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"HOTLINE_CONFIG": str(env_config), "PATH": "/usr/bin:/bin"},
    )


def test_cli_download_and_list(served: tuple[str, Path], tmp_path: Path) -> None:
    base, www = served
    name = "vosk-model-test-0.1"
    spec = spec_for(fake_model_zip(www / f"{name}.zip", name), base, name)
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        yaml.safe_dump({"models": {name: {k: getattr(spec, k) for k in ("url", "size", "sha256")}}})
    )
    config = tmp_path / "hotline.yaml"
    config.write_text(yaml.safe_dump({"asr": {"models_dir": str(tmp_path / "models")}}))
    done = run_cli("models", "download", name, "--catalog", str(catalog), env_config=config)
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stderr
    listed = run_cli("models", "list", env_config=config)
    assert listed.returncode == 0, listed.stderr
    assert name in listed.stdout and "8000 Hz" in listed.stdout
    assert "vosk-model-small-cn-0.22" in listed.stdout  # offered for download
    bad = run_cli("models", "download", "vosk-model-nope", env_config=config)
    assert bad.returncode == 1 and "unknown model" in bad.stderr


def test_cli_transcribe_with_a_missing_model_names_the_command(tmp_path: Path) -> None:
    config = tmp_path / "hotline.yaml"
    config.write_text(yaml.safe_dump({"asr": {"model_dir": str(tmp_path / "none")}}))
    done = run_cli("transcribe", str(tmp_path / "x.wav"), env_config=config)
    assert done.returncode == 2
    assert "python -m asr models download vosk-model-small-cn-0.22" in done.stderr


def test_cli_transcribes_legs_and_lone_files(
    call_recording: Path, utterance_wav: Path, tmp_path: Path
) -> None:
    config = tmp_path / "hotline.yaml"
    config.write_text(yaml.safe_dump({"asr": {"model_dir": str(ko_model_dir())}}))
    done = run_cli(
        "transcribe", "--json", str(call_recording), str(utterance_wav), env_config=config
    )
    assert done.returncode == 0, done.stderr
    call, lone = (json.loads(line) for line in done.stdout.splitlines())
    assert {line["label"] for line in call["transcript"]["lines"]} == {"来电人", "话务员"}
    assert {line["label"] for line in lone["transcript"]["lines"]} == {"来电人"}
    assert call["suggestion"]  # the classifier's explanation rides along


def test_cli_jobs_enqueue_and_drain(call_recording: Path, tmp_path: Path) -> None:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from .jobmodel import Base, TranscriptionJob

    db = f"sqlite:///{tmp_path / 'jobs.db'}"
    Base.metadata.create_all(create_engine(db))
    config = tmp_path / "hotline.yaml"
    config.write_text(yaml.safe_dump({"asr": {"model_dir": str(ko_model_dir()), "workers": 2}}))
    model = "tests.asr.jobmodel:TranscriptionJob"
    queued = run_cli(
        "jobs",
        "enqueue",
        "--job-model",
        model,
        "--db",
        db,
        "--ticket",
        "T-9",
        str(call_recording),
        str(tmp_path / "missing.wav"),
        env_config=config,
    )
    assert queued.returncode == 0, queued.stderr
    worked = run_cli("jobs", "work", "--job-model", model, "--db", db, "--drain", env_config=config)
    assert worked.returncode == 0, worked.stderr
    with Session(create_engine(db)) as session:
        jobs = session.scalars(select(TranscriptionJob).order_by(TranscriptionJob.id)).all()
    done, failed = jobs
    assert done.status == "done" and done.ticket_ref == "T-9"
    assert "来电人：" in (done.transcript_text or "")
    assert failed.status == "queued" and "recording leg missing" in (failed.last_error or "")
