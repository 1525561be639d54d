"""releasecast: a GitHub release becomes a Jekyll post, images and a narrated vertical reel.

The pipeline is a chain of stages over plain data (see ``pipeline.structure``)::

    facts  (pipeline.facts)   release event / git checkout -> ReleaseFacts
    story  (pipeline.story)   ReleaseFacts -> Story (title, summary, highlights, narration)
    art    (pipeline.art)     ReleaseFacts + Story -> Artwork (cover, social card, slides)
    voice  (pipeline.voice)   Story -> Narration (normalized speech + caption cues)
    reel   (pipeline.reel)    Artwork + Narration -> Reel (1080x1920 H.264 MP4)
    site   (pipeline.site)    everything -> a Jekyll post and assets, moved into place atomically

``pipeline.build`` runs the chain; the CLI, the Action and the App worker are thin shells over it.
"""

import os

__version__ = "0.1.0"

# numpy's OpenBLAS starts a thread per core that spins ~0.1 s of CPU as numpy is imported;
# releasecast's numpy (pixels, audio samples) does no linear algebra. Before numpy's first
# import, and only where the user has not chosen.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
