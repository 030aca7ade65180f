"""Named vertex regions of a head: the one place that says which vertices metrics and losses look at."""

REGIONS: dict[str, str] = {
    "lips": "the lip surface, outer contour to the inner lip surface, as the head's asset marks it: mouth framing"
    " (cameras, mouth crops); not the LVE lip region (metrics.arkit_curves.lve_lip_region)",
    "upper_face": "brows, eyelids, forehead and upper cheeks: upper-face dynamics deviation (FDD)",
    "eyes": "the eyeballs: gaze",
}
"""Region name -> what it holds and what uses it. Every head names at least ``lips``."""
