"""One module per `geobfdt` subcommand (HELP, add_arguments, run)."""


def add_reader_options(p) -> None:
    """The options every command that reads well files shares, worded once."""
    p.add_argument("--image-channel", metavar="NAME",
                   help="image to read: a DLIS channel name, or in LAS a sector-curve prefix (e.g. ABDC) or an "
                        "array curve (default: found automatically; `geobfdt info` lists the candidates)")
    p.add_argument("--bit-size-in", type=float, metavar="INCHES",
                   help="bit (hole) diameter in inches, e.g. 8.5, for files with neither caliper nor bit size")
