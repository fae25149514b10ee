"""`aos wallet new FILE` and `aos wallet address [--wallet FILE]`: Arweave JWK wallets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aos.wallet import Wallet

DEFAULT_WALLET = "~/.aos.json"


def _add_help(parser: argparse.ArgumentParser) -> None:
    # argparse's own help text has no final period; every help text here ends with one.
    parser.add_argument("-h", "--help", action="help", help="Show this help and exit.")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aos wallet",
        description="Create an Arweave wallet or show its address.",
        add_help=False,
    )
    _add_help(parser)
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION", help="What to do.")
    new = sub.add_parser(
        "new",
        help="Generate an RSA-4096 wallet, save it with mode 0600 and print its address.",
        description="Generate an RSA-4096 Arweave wallet (JWK), save it with mode 0600 and "
        "print its address. An existing file is never overwritten.",
        add_help=False,
    )
    _add_help(new)
    new.add_argument("file", type=Path, help="Where to write the new JWK file.")
    address = sub.add_parser(
        "address",
        help="Print the address of a wallet.",
        description="Print the address (base64url of sha256 of the modulus) of a wallet.",
        add_help=False,
    )
    _add_help(address)
    address.add_argument(
        "--wallet",
        type=Path,
        default=Path(DEFAULT_WALLET),
        help=f"The JWK file to read (default {DEFAULT_WALLET}, the aos console's wallet).",
    )
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.action == "new":
        path = args.file.expanduser()
        wallet = Wallet.generate()
        wallet.save(path)
        print(wallet.address)
        print(f"saved to {path}", file=sys.stderr)
        return 0
    print(Wallet.load(args.wallet.expanduser()).address)
    return 0
