"""One module per `geobfdt` subcommand (HELP, add_arguments, run)."""


def add_reader_options(p) -> None:
    """The options every command that reads well files shares, worded once."""
    p.add_argument("--image-channel", metavar="NAME",
                   help="image to read: a DLIS channel name, or in LAS a sector-curve prefix (e.g. ABDC) or an "
                        "array curve (default: found automatically; `geobfdt info` lists the candidates)")
    p.add_argument("--bit-size-in", type=float, metavar="INCHES",
                   help="bit (hole) diameter in inches, e.g. 8.5, for files with neither caliper nor bit size")
    p.add_argument("--max-image-gib", type=float, metavar="GIB",
                   help="largest image to decode, in GiB as float32 (default 4, or the GEOBFDT_MAX_IMAGE_GIB "
                        "environment variable): a file asking for more is refused before any memory is taken")


def reader_options(args) -> dict:
    """The add_reader_options values as read_well keyword arguments."""
    return {"image_channel": args.image_channel, "bit_size_in": args.bit_size_in,
            "max_image_gib": args.max_image_gib}
