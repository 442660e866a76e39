"""torch.hub entry points: ``torch.hub.load("<owner>/ganzoo", "dcgan_mnist")``.

One entry per pretrained model in ganzoo's registry (``ganzoo.list_models()``), named with
underscores. Each returns the model in eval mode, sampling from its averaged generator:
``model.sample(64, seed=0)`` gives images in [-1, 1].
"""

dependencies = ["torch", "torchvision", "lightning"]


def _entry(name: str):  # noqa: ANN202
    def load_pretrained(map_location: str = "cpu"):  # noqa: ANN202
        import ganzoo

        return ganzoo.load(name, map_location=map_location)

    load_pretrained.__name__ = name.replace("-", "_")
    load_pretrained.__doc__ = f"ganzoo's pretrained {name!r} (see ganzoo.list_models() for its model card)."
    return load_pretrained


def _register() -> None:
    from ganzoo.zoo import registry

    for name in registry():
        globals()[name.replace("-", "_")] = _entry(name)


_register()
