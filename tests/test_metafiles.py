"""The metafiles are the one source of the README's and the cards' figures (``benchmarks/metafiles.py``)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

import ganzoo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import metafiles  # noqa: E402


def test_every_generated_table_and_the_registry_are_the_metafiles():
    assert metafiles.drifted() == []


def copy_of_the_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(ROOT / "configs", root / "configs")
    (root / "ganzoo" / "pretrained").mkdir(parents=True)
    shutil.copy(ROOT / "ganzoo" / "pretrained" / "registry.json", root / "ganzoo" / "pretrained")
    shutil.copy(ROOT / "README.md", root)
    return root


def test_a_figure_edited_by_hand_is_caught(tmp_path):
    root = copy_of_the_project(tmp_path)
    card = root / "configs" / "gan" / "README.md"
    card.write_text(card.read_text().replace("98.4 ± 0.6", "99.9 ± 0.1", 1))
    assert metafiles.drifted(root) == ["configs/gan/README.md"]
    metafiles.write(root)
    assert "98.4 ± 0.6" in card.read_text() and metafiles.drifted(root) == []


def test_a_metafile_missing_a_field_or_a_config_is_one_clear_error(tmp_path):
    root = copy_of_the_project(tmp_path)
    path = root / "configs" / "dcgan" / "metafile.yml"
    path.write_text(path.read_text().replace("configs/dcgan/cifar10.yaml", "configs/dcgan/nonesuch.yaml"))
    with pytest.raises(metafiles.MetafileError, match="variant DCGAN: no config configs/dcgan/nonesuch.yaml"):
        metafiles.load_all(root)


def test_every_config_belongs_to_a_variant_of_a_family_with_a_card():
    listed = {config for data in metafiles.load_all().values() for v in data["variants"] for config in v["configs"]}
    # configs/logger: logger presets; configs/study: study configs (ganzoo study's, with the study card), not fits
    configs = {str(p.relative_to(ROOT)) for p in (ROOT / "configs").rglob("*.yaml") if p.parent.name not in ("logger", "study")}
    assert configs - listed == set(), "configs no family's metafile lists"
    for data in metafiles.load_all().values():
        assert (ROOT / data["card"]).exists() and (ROOT / data["notebook"]).exists()


def test_list_models_gives_every_shipped_model_of_the_metafiles_with_its_provenance():
    shipped = {name for data in metafiles.load_all().values() for name in data.get("models", {})}
    cards = {card["name"]: card for card in ganzoo.list_models()}
    assert set(cards) == shipped
    for card in cards.values():
        assert card["command"] and card["date"] and card["hardware"] and len(card["sha256"]) == 64
