"""Training histories: loss per epoch (training and validation) and the learning rate."""
from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd


def _frame(history) -> pd.DataFrame:
    if isinstance(history, pd.DataFrame):
        return history
    if hasattr(history, "to_frame"):
        return history.to_frame()
    return pd.DataFrame(list(history)).set_index("epoch")


def training_history(history, axes=None, label: str | None = None, loss_name: str = "loss"):
    """Two panels against the epoch: the training and validation loss (the best epoch
    marked), and the learning rate at the end of each epoch (log scale).

    history: a :class:`hepcourse.train.History`, its ``to_frame()`` or a list of epoch
    dicts. axes: two Axes to draw on (a new figure when None); pass the same axes again
    with another ``label`` to compare runs. Returns the Figure.
    """
    frame = _frame(history)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    else:
        fig = axes[0].figure
    loss_ax, lr_ax = axes
    prefix = f"{label}: " if label else ""
    line = loss_ax.plot(frame.index, frame["train_loss"], marker="o", ms=3, label=f"{prefix}training")[0]
    if frame["val_loss"].notna().any():
        loss_ax.plot(frame.index, frame["val_loss"], marker="s", ms=3, ls="--", color=line.get_color(),
                     label=f"{prefix}validation")
        best = frame["val_loss"].idxmin()
        loss_ax.plot([best], [frame["val_loss"].min()], marker="*", ms=14, color=line.get_color(),
                     ls="none", label=f"{prefix}best epoch ({best})")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel(f"{loss_name} per event")
    loss_ax.legend()
    lr_ax.plot(frame.index, frame["lr"], marker="o", ms=3, color=line.get_color(), label=label)
    lr_ax.set_yscale("log")
    lr_ax.set_xlabel("epoch")
    lr_ax.set_ylabel("learning rate (end of epoch)")
    if label:
        lr_ax.legend()
    fig.tight_layout()
    return fig
