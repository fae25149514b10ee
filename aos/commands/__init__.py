"""One module per `aos` subcommand; each exposes `main(argv: list[str]) -> int`.

Helpers a command shares or grows out of live beside them: `console_flags` (the aos console's
flags), and the shell's parts `shell_args`, `shell_units` and `shell_session` behind
`shell`, its entry point.
"""
