"""``ganzoo study``: Lucic et al.'s "Are GANs created equal?" protocol as one command, on Optuna
(``pip install -e ".[study]"``). ``space``: the study config; ``runner``: the trials; ``report``: table and plots."""
