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


NICE_LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20, 50, 100,
                  200, 500, 1000)


def log_ticks(axis, low, high):
    """Readable ticks on a log axis (a matplotlib Axis) between low and high,
    plain numbers, no minor labels."""
    ticks = [t for t in NICE_LOG_TICKS if low <= t <= high]
    if len(ticks) > 9:
        ticks = [t for t in ticks if f"{t:g}"[0] in "125"]
    axis.set_ticks(ticks)
    axis.set_ticklabels([f"{t:g}" for t in ticks])
    axis.set_ticks([], minor=True)


def title_room(title):
    """Inches at the top of a figure that its title (one line or more) and
    the subtitle under it take."""
    return 0.35 + 0.2 * (title.count("\n") + 1)


def titles(fig, title, subtitle):
    """The title and the subtitle under it, in the top title_room(title)
    inches of the figure."""
    height = fig.get_size_inches()[1]
    fig.suptitle(title, fontsize=12, y=1 - 0.05 / height, va="top")
    below = title_room(title) - 0.25
    fig.text(0.5, 1 - below / height, subtitle, ha="center", va="top", fontsize=9, color="#444444")


def finish_grid(fig, axes, used, title, subtitle, run_dir, name, bottom=0.0):
    """Ends a figure of panels: blanks the panels past the first `used`,
    lays the panels out below the room the titles need (and `bottom` inches
    above the bottom edge, for a legend), sets the titles, and saves it."""
    for ax in [ax for row in axes for ax in row][used:]:
        ax.axis("off")
    height = fig.get_size_inches()[1]
    # laid out before the titles exist, so that the layout does not make
    # room for them a second time
    fig.tight_layout(rect=(0, bottom / height, 1, 1 - title_room(title) / height))
    titles(fig, title, subtitle)
    save(fig, run_dir, name)


def save(fig, run_dir, name):
    for ext in ("png", "svg"):
        path = os.path.join(run_dir, f"{name}.{ext}")
        fig.savefig(path, dpi=100, metadata={"Date": None} if ext == "svg" else None)
    plt.close(fig)
