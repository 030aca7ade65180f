"""The expressiveness layer: FACS-based emotion on the ARKit rig (blinks, gaze and head motion are not in yet)."""
