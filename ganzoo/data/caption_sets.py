"""The public caption sets of Reed et al. 2016 in ``CaptionedImageFolderDataModule``'s layout.

    python -m ganzoo.data.caption_sets cub DIR       # CUB-200-2011 birds, 10 captions an image
    python -m ganzoo.data.caption_sets flowers DIR   # Oxford-102 flowers, 10 captions an image

Downloads the images from their publishers and the captions from Reed et al.'s release (``cvpr2016_cub.tar.gz``,
``cvpr2016_flowers.tar.gz``: ``text_c10/<class>/<image>.txt``), then writes ``DIR/<name>/<image>.jpg`` beside
``DIR/<name>/<image>.txt``. Needs the internet (not tested here: this project's machine has none); ``arrange`` —
pairing images with caption files by name — is tested offline.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

CAPTION_SETS = {
    "cub": {
        "images": "https://data.caltech.edu/records/65de6-vp158/files/CUB_200_2011.tgz",
        "captions_drive_id": "0B0ywwgffWnLLZW9uVHNjb2JmNlE",
        "captions_archive": "cvpr2016_cub.tar.gz",
    },
    "flowers": {
        "images": "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/102flowers.tgz",
        "captions_drive_id": "0B0ywwgffWnLLcms2WWJQRFNSWXM",
        "captions_archive": "cvpr2016_flowers.tar.gz",
    },
}


def arrange(images_dir: Path, captions_dir: Path, out: Path) -> int:
    """Copy every image under ``images_dir`` that has a caption file (same stem) under ``captions_dir`` into
    ``out`` beside its captions; returns how many. Images without captions are skipped; none at all is an error."""
    captions = {p.stem: p for p in Path(captions_dir).rglob("*.txt")}
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for image in sorted(Path(images_dir).rglob("*.jpg")):
        text = captions.get(image.stem)
        if text is None:
            continue
        shutil.copyfile(image, out / image.name)
        shutil.copyfile(text, out / f"{image.stem}.txt")
        count += 1
    if not count:
        raise ValueError(f"no image under {images_dir} has a caption file under {captions_dir}")
    return count


def prepare_caption_set(name: str, root: str | Path) -> Path:
    """Download ``name`` (``cub`` or ``flowers``) into ``root`` and arrange it in ``root/<name>``."""
    from torchvision.datasets.utils import download_and_extract_archive, download_file_from_google_drive, extract_archive

    if name not in CAPTION_SETS:
        raise ValueError(f"caption sets: {sorted(CAPTION_SETS)}, got {name!r}")
    source, root = CAPTION_SETS[name], Path(root).expanduser()
    raw = root / f"{name}-raw"
    download_and_extract_archive(source["images"], str(raw / "images"))
    download_file_from_google_drive(source["captions_drive_id"], str(raw), source["captions_archive"])
    extract_archive(str(raw / source["captions_archive"]), str(raw / "captions"))
    count = arrange(raw / "images", raw / "captions", root / name)
    print(f"{count} captioned images in {root / name}")
    return root / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=sorted(CAPTION_SETS))
    parser.add_argument("root")
    args = parser.parse_args()
    prepare_caption_set(args.name, args.root)


if __name__ == "__main__":
    main()
