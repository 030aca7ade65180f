"""The Multi-PIE 68-point facial landmark scheme: the landmark indices the package refers to, in one place.

Indices into a head's 68 landmarks (``ARKitRig.landmark_vertex_ids``, FLAME's landmark embedding), numbered from 0
as in iBUG 300-W / dlib (Gross et al., "Multi-PIE", 2010; Sagonas et al., "300 Faces in-the-Wild", 2013): jaw line
0..16, brows 17..26, nose 27..35, eyes 36..47, outer lip contour 48..59, inner lip contour 60..67.
"""

LIP_LANDMARKS = range(48, 68)
"""The 20 lip landmarks: outer contour 48..59 and inner contour 60..67."""

INNER_LIP_PAIRS: tuple[tuple[int, int], ...] = ((61, 67), (62, 66), (63, 65))
"""Inner-lip landmark pairs (upper, lower) facing each other across the mouth opening; their gap is lip closure."""

EYE_CORNERS: tuple[int, int] = (36, 45)
"""The outer eye corners (right eye's 36, left eye's 45), whose distance normalises the scale of a head."""
