"""The expressiveness layer: FACS-based emotion on the ARKit rig (:mod:`.emotion`), and a face that performs:
blinks, gaze, brows, head motion and breathing timed by the speech (:mod:`.performance`)."""
