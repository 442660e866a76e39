"""The metafiles (``configs/<family>/metafile.yml``): the one source of every figure the README and the cards show.

    python benchmarks/metafiles.py --check     # exit 1, naming each block, where a README or card figure drifted
    python benchmarks/metafiles.py --write     # regenerate every block and ganzoo/pretrained/registry.json
    python benchmarks/metafiles.py --write --only pix2pix   # one family's card (and the registry)

A metafile holds, for one family (its card is the ``README.md`` beside it):

* ``family``, ``title``, ``card``, ``notebook``;
* ``variants``: each with ``name``, ``class``, ``paper``, ``configs``, ``headline`` (one figure, in words),
  ``works`` (``yes``, ``partly`` or ``not yet``) and ``status`` (why, in a few words): the README's families table;
* ``results``: tables, each with ``id``, ``title``, ``command`` (what produced it), ``date``, ``machine``,
  ``columns`` and ``rows`` (cells as shown);
* ``models``: the shipped pretrained models (``ganzoo.list_models()`` reads them through the generated
  ``ganzoo/pretrained/registry.json``): file, SHA-256, class, config, command, steps, wall time, machine, date, scores.

A markdown file shows a generated block between ``<!-- metafile: configs/gan/metafile.yml#toy2d -->`` and
``<!-- /metafile -->`` (``#models`` for a family's shipped models; in README.md ``metafiles#families`` and
``metafiles#pretrained`` over all families; ``#variants`` for a family's variants table). ``tests/test_metafiles.py`` runs ``--check``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = ("gan", "dcgan", "cgan", "acgan", "infogan", "pix2pix", "cyclegan", "stargan", "gan_cls", "vae", "dynamics")
WORKS = ("yes", "partly", "not yet")
BLOCK = re.compile(r"<!-- metafile: (?P<source>[^#\s]+)#(?P<id>[\w-]+) -->\n.*?<!-- /metafile -->", re.S)
DOCUMENTS = ("README.md", *(f"configs/{family}/README.md" for family in FAMILIES))
REGISTRY = ROOT / "ganzoo" / "pretrained" / "registry.json"
MODEL_KEYS = ("file", "sha256", "class", "config", "command", "generator_steps", "wall_seconds", "hardware", "date",
              "evaluated", "scores")  # fmt: skip


class MetafileError(ValueError):
    pass


def metafile_path(family: str, root: Path = ROOT) -> Path:
    return root / "configs" / family / "metafile.yml"


def load(family: str, root: Path = ROOT) -> dict[str, Any]:
    path = metafile_path(family, root)
    data = yaml.safe_load(path.read_text())
    check_metafile(data, path, root)
    return data


def load_all(root: Path = ROOT) -> dict[str, dict[str, Any]]:
    return {family: load(family, root) for family in FAMILIES if metafile_path(family, root).exists()}


def check_metafile(data: dict[str, Any], path: Path, root: Path) -> None:
    """Every field the generated tables need, configs and shipped files that exist, SHA-256 that match."""

    def need(mapping: dict, keys: tuple[str, ...], where: str) -> None:
        missing = [key for key in keys if key not in mapping]
        if missing:
            raise MetafileError(f"{path}: {where} lacks {', '.join(missing)}")

    need(data, ("family", "title", "card", "notebook", "variants"), "the family")
    for variant in data["variants"]:
        need(variant, ("name", "class", "paper", "configs", "headline", "works", "status"), f"variant {variant.get('name')}")
        if variant["works"] not in WORKS:
            raise MetafileError(f"{path}: variant {variant['name']}: works must be one of {WORKS}")
        for config in variant["configs"]:
            if not (root / config).exists():
                raise MetafileError(f"{path}: variant {variant['name']}: no config {config}")
    for result in data.get("results", []):
        need(result, ("id", "title", "command", "date", "machine", "columns", "rows"), f"result {result.get('id')}")
        for row in result["rows"]:
            if len(row) != len(result["columns"]):
                raise MetafileError(f"{path}: result {result['id']}: a row of {len(row)} cells for {len(result['columns'])} columns")
    for name, model in data.get("models", {}).items():
        need(model, MODEL_KEYS, f"model {name}")
        shipped = root / "ganzoo" / "pretrained" / model["file"]
        if shipped.exists() and hashlib.sha256(shipped.read_bytes()).hexdigest() != model["sha256"]:
            raise MetafileError(f"{path}: model {name}: {model['file']} does not have the recorded SHA-256")


# ----------------------------------------------------------------------------------------------- rendering
def markdown_table(columns: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join("" if cell is None else str(cell) for cell in row).replace("|  |", "| |") + " |"
              for row in rows]
    return "\n".join(lines)


def render_result(result: dict[str, Any]) -> str:
    return (f"{markdown_table(result['columns'], result['rows'])}\n\n"
            f"*{result['title']}*: `{result['command']}` ({result['machine']}, {result['date']}).")  # fmt: skip


def model_scores(model: dict[str, Any]) -> tuple[str, str]:
    """The shipped generator's headline scores, and the raw generator's beside them."""
    shown, raw = model["scores"]["averaged"], model["scores"].get("raw", {})
    if "l1_dropout_on" in shown:
        return ("test pairs, dropout on: L1 {:.3f}, PSNR {:.2f}, SSIM {:.3f}, FCN per-pixel {:.3f}".format(
            shown["l1_dropout_on"], shown["psnr_dropout_on"], shown["ssim_dropout_on"],
            shown["fcn_per_pixel_accuracy_dropout_on"]), "–")
    if "colour_agreement" in shown:  # text-to-image: attributes of the caption read back from the samples
        keys = ("digit_agreement", "thickness_agreement", "colour_agreement", "held_out_all_agreement", "fid")
        text = ", ".join(f"{key.replace('_', ' ')} {shown[key]:.3f}" for key in keys)
        return text, ", ".join(f"{raw[key]:.3f}" for key in keys) if raw else "–"
    if "target_domain_accuracy" in shown:
        keys = ("target_domain_accuracy", "digits_kept", "reconstruction_l1")
        text = ", ".join(f"{key.replace('_', ' ')} {shown[key]:.4f}" for key in keys)
        return text, ", ".join(f"{raw[key]:.4f}" for key in keys) if raw else "–"
    if "fid" in shown:
        text = (f"FID {shown['fid']:.3f}, KID {shown['kid']:.4f}, IS {shown['is']:.2f}, P {shown['precision']:.3f} / "
                f"R {shown['recall']:.3f}, 1-NN {shown['one_nn']:.3f}")
        if "label_accuracy" in shown:
            text += f", label accuracy {100 * shown['label_accuracy']:.2f}%, intra-FID {shown['intra_fid']:.3f}"
        if "matched_accuracy" in shown:
            text += f", matched accuracy {100 * shown['matched_accuracy']:.1f}%"
        return text, f"FID {raw['fid']:.3f}" if raw else "–"
    return f"{shown['modes']} modes, {100 * shown['high_quality']:.1f}% high quality", "–"


def render_models(models: dict[str, dict[str, Any]]) -> str:
    """A family's shipped models in full: scores, raw generator, steps, time, machine, date, command."""
    rows = []
    for name, model in sorted(models.items()):
        shown, raw = model_scores(model)
        rows.append([f"`{name}`", model["class"], shown, raw, model["generator_steps"], f"{model['wall_seconds']:.0f} s",
                     f"{model['hardware']}, {model['date']}", f"`{model['command']}`"])  # fmt: skip
    columns = ["name", "class", "scores (shipped generator: averaged where kept)", "raw generator", "generator steps",
               "wall time", "machine, date", "trained by"]  # fmt: skip
    return markdown_table(columns, rows) + "\n\nScored by: " + "; ".join(
        f"`{name}`: `{model['evaluated']}`" for name, model in sorted(models.items())) + "."


def render_families(metafiles: dict[str, dict[str, Any]]) -> str:
    rows = []
    for data in metafiles.values():
        for variant in data["variants"]:
            works = {"yes": "**works**", "partly": "partly", "not yet": "**not yet**"}[variant["works"]]
            name = f"[{variant['name']}]({data['card']})"
            rows.append([name, variant["paper"], variant["headline"], f"{works}: {variant['status']}"])
    return markdown_table(["variant", "paper", "headline figure", "works / does not yet"], rows)


def render_variants(data: dict[str, Any]) -> str:
    """A family's variants: class, paper, configs, and whether each works yet."""
    rows = [[v["name"], f"`{v['class']}`", v["paper"], ", ".join(f"`{c.removeprefix('configs/')}`" for c in v["configs"]),
             f"{v['works']}: {v['status']}"] for v in data["variants"]]  # fmt: skip
    return markdown_table(["variant", "class", "paper", "configs", "works"], rows)


def headline_score(model: dict[str, Any]) -> str:
    """Two figures of a shipped model, for the README."""
    shown = model["scores"]["averaged"]
    if "l1_dropout_on" in shown:
        return f"FCN per-pixel {shown['fcn_per_pixel_accuracy_dropout_on']:.3f}, L1 {shown['l1_dropout_on']:.3f}"
    if "colour_agreement" in shown:
        return (f"digit {100 * shown['digit_agreement']:.1f} %, thickness {100 * shown['thickness_agreement']:.1f} %, "
                f"colour {100 * shown['colour_agreement']:.1f} % as captioned")
    if "target_domain_accuracy" in shown:
        return f"target domain {100 * shown['target_domain_accuracy']:.1f} %, digit kept {100 * shown['digits_kept']:.1f} %"
    if "label_accuracy" in shown:
        return f"label accuracy {100 * shown['label_accuracy']:.1f} %, FID {shown['fid']:.3f}"
    if "matched_accuracy" in shown:
        return f"FID {shown['fid']:.3f}, recall {shown['recall']:.3f}, codes matched {100 * shown['matched_accuracy']:.1f} %"
    if "fid" in shown:
        return f"FID {shown['fid']:.3f}, recall {shown['recall']:.3f}"
    return f"{shown['modes']} of 8 modes, {100 * shown['high_quality']:.1f} % high quality"


def render_pretrained(metafiles: dict[str, dict[str, Any]]) -> str:
    rows = []
    for data in metafiles.values():
        for name, model in sorted(data.get("models", {}).items()):
            rows.append([f"[`{name}`]({data['card']})", model["class"], f"{model['generator_steps']:,}", headline_score(model)])
    return markdown_table(["name (card)", "class", "generator steps", "scores of the shipped file"], rows)


def render_block(source: str, block_id: str, metafiles: dict[str, dict[str, Any]]) -> str:
    if source == "metafiles":
        renderers = {"families": render_families, "pretrained": render_pretrained}
        if block_id not in renderers:
            raise MetafileError(f"no block metafiles#{block_id} (families, pretrained)")
        return renderers[block_id](metafiles)
    family = Path(source).parent.name
    if family not in metafiles:
        raise MetafileError(f"no metafile {source}")
    data = metafiles[family]
    if block_id == "models":
        return render_models(data.get("models", {}))
    if block_id == "variants":
        return render_variants(data)
    for result in data.get("results", []):
        if result["id"] == block_id:
            return render_result(result)
    raise MetafileError(f"{source} has no result {block_id}")


def regenerate(text: str, metafiles: dict[str, dict[str, Any]]) -> str:
    def replace(match: re.Match) -> str:
        body = render_block(match["source"], match["id"], metafiles)
        return f"<!-- metafile: {match['source']}#{match['id']} -->\n{body}\n<!-- /metafile -->"

    return BLOCK.sub(replace, text)


def registry_json(metafiles: dict[str, dict[str, Any]]) -> str:
    models = {name: model for data in metafiles.values() for name, model in data.get("models", {}).items()}
    return json.dumps(dict(sorted(models.items())), indent=2, sort_keys=True) + "\n"


# ----------------------------------------------------------------------------------------------- check / write
def documents(only: str | None) -> tuple[str, ...]:
    return DOCUMENTS if only is None else (f"configs/{only}/README.md",)


def stale_files(root: Path = ROOT, only: str | None = None) -> dict[Path, str]:
    """Each document (``only``: one family's card) and the registry whose generated parts are not what the
    metafiles give, with the text it should have."""
    metafiles = load_all(root)
    expected = {root / name: regenerate((root / name).read_text(), metafiles)
                for name in documents(only) if (root / name).exists()}  # fmt: skip
    expected[root / REGISTRY.relative_to(ROOT)] = registry_json(metafiles)
    return {path: text for path, text in expected.items() if path.read_text() != text}


def drifted(root: Path = ROOT, only: str | None = None) -> list[str]:
    """The files (relative to ``root``) whose generated parts drifted from the metafiles."""
    return [str(path.relative_to(root)) for path in stale_files(root, only)]


def write(root: Path = ROOT, only: str | None = None) -> list[str]:
    """Regenerate the drifted files; returns their names."""
    stale = stale_files(root, only)
    for path, text in stale.items():
        path.write_text(text)
    return [str(path.relative_to(root)) for path in stale]


def record_model(family: str, name: str, model: dict[str, Any], root: Path = ROOT) -> None:
    """Put a newly shipped model into its family's metafile, then regenerate (``benchmarks/pretrained.py``)."""
    import fcntl

    path = metafile_path(family, root)
    with open(root / "ganzoo" / "pretrained" / ".registry.lock", "w") as lock:  # runs registering side by side
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = yaml.safe_load(path.read_text())
        data.setdefault("models", {})[name] = {key: model[key] for key in MODEL_KEYS}
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120))
        write(root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", action="store_true")
    action.add_argument("--write", action="store_true")
    parser.add_argument("--only", choices=FAMILIES, help="one family's card (and the registry)")
    args = parser.parse_args()
    if args.write:
        print("\n".join(f"regenerated {name}" for name in write(only=args.only)) or "nothing to regenerate")
        return
    stale = drifted(only=args.only)
    if stale:
        sys.exit("not the metafiles' figures (run python benchmarks/metafiles.py --write): " + ", ".join(stale))
    print("every generated block and the registry match the metafiles")


if __name__ == "__main__":
    main()
