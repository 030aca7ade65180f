"""Named vertex regions of a head: the one place that says which vertices metrics and losses look at."""

REGIONS: dict[str, str] = {
    "lips": "the lips, outer contour to the inner lip surface: lip vertex error (LVE), lip losses",
    "upper_face": "brows, eyelids, forehead and upper cheeks: upper-face dynamics deviation (FDD)",
    "eyes": "the eyeballs: gaze",
}
"""Region name -> what it holds and what uses it. Every head names at least ``lips``."""
