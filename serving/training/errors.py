"""The errors training and evaluation report to the user."""


class TrainingError(Exception):
    """Base class: anything that stops `python -m serving.training` with a clear message."""


class DataError(TrainingError):
    """The ratings data could not be obtained or is not MovieLens 100K as expected."""


class DataMissing(DataError):
    """A data source, or a file it needs, does not exist."""


class DataCorrupt(DataError):
    """A data source exists but its content is truncated, malformed or inconsistent."""


class ChecksumMismatch(DataCorrupt):
    """A downloaded or cached archive does not have the published SHA-256."""


class DownloadFailed(DataError):
    """The dataset archive could not be downloaded."""


class ConfigError(TrainingError):
    """The requested training settings cannot work with this data."""


class ExportError(TrainingError):
    """The models folder cannot be written or read as a TensorFlow Serving model base."""
