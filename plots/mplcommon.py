"""What the matplotlib figures share: the backend, fonts, title and subtitle,
and saving each figure as PNG and SVG (deterministic SVG: fixed hash salt,
no date), so a re-render changes no file whose data did not change."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

plt.rcParams.update({
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "malloc-bench",
    "svg.fonttype": "path",
})


def titles(fig, title, subtitle):
    height = fig.get_size_inches()[1]
    fig.suptitle(title, fontsize=12, y=1 - 0.05 / height, va="top")
    fig.text(0.5, 1 - 0.3 / height, subtitle, ha="center", va="top", fontsize=9, color="#444444")


def finish_grid(fig, axes, used, title, subtitle, run_dir, name, top=0.5, bottom=0.0):
    """Ends a figure of panels: blanks the panels past the first `used`, sets
    the titles, keeps `top` inches above the panels for them (and `bottom`
    below, for a legend), and saves it."""
    for ax in [ax for row in axes for ax in row][used:]:
        ax.axis("off")
    titles(fig, title, subtitle)
    height = fig.get_size_inches()[1]
    fig.tight_layout(rect=(0, bottom / height, 1, 1 - top / height))
    save(fig, run_dir, name)


def save(fig, run_dir, name):
    for ext in ("png", "svg"):
        path = os.path.join(run_dir, f"{name}.{ext}")
        fig.savefig(path, dpi=100, metadata={"Date": None} if ext == "svg" else None)
    plt.close(fig)
