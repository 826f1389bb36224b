"""tagwire: a self-hosted news aggregator organised around hashtags."""

__version__ = "0.1.0"
