"""Lip reading on rendered mouths: visual speech front ends, the audio-visual sync expert and its training.

- :mod:`~facemotion.lipreading.mouth_crops`: ARKit weights -> 88x88 grayscale mouth crops (hard or soft renders).
- :mod:`~facemotion.lipreading.frontends`: the 3D-conv front ends of LRS3 lip readers (light, and ResNet-18).
- :mod:`~facemotion.lipreading.vsr_checkpoint`: a user's pretrained Auto-AVSR / mpc001 front end, by key layout.
- :mod:`~facemotion.lipreading.encoders`, :mod:`~facemotion.lipreading.expert`: the sync expert (per-frame
  visual and audio embeddings, sync logits), shipped as ``assets/weights/sync_expert``.
- :mod:`~facemotion.lipreading.train_sync`: how it learns (stage ``sync`` of ``facemotion train``);
  :mod:`~facemotion.lipreading.evaluation`: in-sync vs shifted accuracy.

The losses built on them live in :mod:`facemotion.losses.lip_reading`, the LSE-D / LSE-C metric in
:mod:`facemotion.metrics.lipsync`.
"""

from facemotion.lipreading.encoders import AudioSyncEncoder, TemporalConvNet, VisualSpeechEncoder
from facemotion.lipreading.evaluation import SyncAccuracy, shifted_sync_accuracy
from facemotion.lipreading.expert import SyncExpert, SyncExpertConfig, SyncOutput, default_sync_expert
from facemotion.lipreading.frontends import LightFrontend, ResNetFrontend
from facemotion.lipreading.mouth_crops import MouthCropRenderer
from facemotion.lipreading.vsr_checkpoint import load_vsr_frontend, vsr_frontend_state

__all__ = [
    "AudioSyncEncoder",
    "LightFrontend",
    "MouthCropRenderer",
    "ResNetFrontend",
    "SyncAccuracy",
    "SyncExpert",
    "SyncExpertConfig",
    "SyncOutput",
    "TemporalConvNet",
    "VisualSpeechEncoder",
    "default_sync_expert",
    "load_vsr_frontend",
    "shifted_sync_accuracy",
    "vsr_frontend_state",
]
