"""One module per `aos` subcommand; each exposes `main(argv: list[str]) -> int`."""
