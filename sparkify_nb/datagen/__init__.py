"""Sparkify-format data at any scale: song files and daily event logs,
deterministic for a seed (``dataset.generate``; the parts it puts together
are ``names``, ``catalogue``, ``listeners``, ``events`` and ``sinks``)."""

from .catalogue import song_key, song_record
from .dataset import JSONPATHS_FILE, generate
from .events import EVENT_FIELDS, events_key
from .sinks import DatagenError, FolderSink, S3Sink, Sink

__all__ = ["EVENT_FIELDS", "JSONPATHS_FILE", "DatagenError", "FolderSink", "S3Sink", "Sink", "events_key",
           "generate", "song_key", "song_record"]
