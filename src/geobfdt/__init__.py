"""GeoBFDT: fractures and bedding planes in borehole image logs with a Detection Transformer."""

__version__ = "0.1.0"
