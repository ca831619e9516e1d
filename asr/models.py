"""Installing and listing speech models: the only code that downloads one, and only on command.

``python -m asr models download NAME`` fetches a catalogued zip (asr/model-catalog.yaml),
refuses it unless its size and SHA-256 match, unpacks it next to the other models and renames
it into place only when complete, so a model directory either is whole or does not exist.
Nothing else in the hotline downloads a model; a missing one is an error naming this command.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from asr.engine import ModelMissingError
from asr.settings import ASR_PACKAGE_DIR
from asr.vosk_engine import check_model_dir, model_sample_rate

CATALOG_FILE = ASR_PACKAGE_DIR / "model-catalog.yaml"
MARKER = ".hotline-model.json"
CHUNK = 1 << 20


class ModelDownloadError(RuntimeError):
    """The download failed or did not match the catalogue; nothing was installed."""


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    url: str
    size: int
    sha256: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class InstalledModel:
    name: str
    path: Path
    sample_rate: int
    bytes_on_disk: int
    sha256: str | None  # of the zip it came from, when installed by this command
    usable: bool


def load_catalog(path: Path = CATALOG_FILE) -> dict[str, ModelSpec]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return {
        name: ModelSpec(
            name=name,
            url=str(spec["url"]),
            size=int(spec["size"]),
            sha256=str(spec["sha256"]).lower(),
            note=str(spec.get("note", "")),
        )
        for name, spec in data["models"].items()
    }


Progress = Callable[[int, int], None]


def _fetch(spec: ModelSpec, target: Path, progress: Progress | None, timeout: float) -> None:
    """Stream the zip to ``target`` while hashing; stop as soon as it is longer than promised."""
    digest = hashlib.sha256()
    received = 0
    try:
        with (
            urllib.request.urlopen(spec.url, timeout=timeout) as response,
            target.open("wb") as out,
        ):
            while block := response.read(CHUNK):
                received += len(block)
                if received > spec.size:
                    raise ModelDownloadError(
                        f"{spec.name}: more than the expected {spec.size} bytes; refused"
                    )
                digest.update(block)
                out.write(block)
                if progress:
                    progress(received, spec.size)
    except OSError as exc:
        raise ModelDownloadError(f"{spec.name}: download from {spec.url} failed: {exc}") from exc
    if received != spec.size:
        raise ModelDownloadError(f"{spec.name}: got {received} bytes, expected {spec.size}")
    if digest.hexdigest() != spec.sha256:
        raise ModelDownloadError(
            f"{spec.name}: SHA-256 {digest.hexdigest()} does not match the catalogue's "
            f"{spec.sha256}; refused"
        )


def _unpack(zip_path: Path, into: Path) -> Path:
    """Extract safely (no absolute paths, no ``..``) and return the model's root folder."""
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.namelist():
            parts = PurePosixPath(member).parts
            if member.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise ModelDownloadError(f"unsafe path in archive: {member!r}")
        archive.extractall(into)
    entries = [p for p in into.iterdir() if not p.name.startswith(".")]
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else into
    try:
        check_model_dir(root)
    except ModelMissingError as exc:
        raise ModelDownloadError(f"archive does not hold a Vosk model: {exc}") from exc
    return root


def download_model(
    name: str,
    models_dir: Path,
    *,
    catalog: dict[str, ModelSpec] | None = None,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Install catalogued model ``name`` under ``models_dir``; returns its directory.

    Already installed: returns at once without downloading again.
    """
    catalog = load_catalog() if catalog is None else catalog
    if name not in catalog:
        raise ModelDownloadError(f"unknown model {name!r}; known: {', '.join(sorted(catalog))}")
    spec = catalog[name]
    final = models_dir / name
    if final.exists():
        check_model_dir(final)
        return final
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{name}.", dir=models_dir) as tmp:
        work = Path(tmp)
        zip_path = work / f"{name}.zip"
        _fetch(spec, zip_path, progress, timeout)
        root = _unpack(zip_path, work / "unpacked")
        (root / MARKER).write_text(
            json.dumps({"name": name, "url": spec.url, "size": spec.size, "sha256": spec.sha256}),
            encoding="utf-8",
        )
        root.rename(final)  # same filesystem: the model appears whole or not at all
    return final


def list_models(models_dir: Path) -> list[InstalledModel]:
    """Every model directory under ``models_dir`` (whole ones only; downloads in progress are
    hidden dot-folders)."""
    if not models_dir.is_dir():
        return []
    found = []
    for path in sorted(
        p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    ):
        try:
            check_model_dir(path)
            usable = True
        except ModelMissingError:
            usable = False
        marker = path / MARKER
        sha = json.loads(marker.read_text(encoding="utf-8"))["sha256"] if marker.is_file() else None
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        found.append(InstalledModel(path.name, path, model_sample_rate(path), size, sha, usable))
    return found
