"""Sparkify-format data at any scale: song files and daily event logs, deterministic for a seed."""

from .dataset import (JSONPATHS_FILE, DatagenError, FolderSink, S3Sink, Sink, events_key, generate, song_key,
                      song_record)

__all__ = ["JSONPATHS_FILE", "DatagenError", "FolderSink", "S3Sink", "Sink", "events_key", "generate", "song_key",
           "song_record"]
