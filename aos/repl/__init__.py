"""The interactive shell: prompt_toolkit input, dot-commands, the live feed.

Runs in the `aos` command's terminal. It reaches a process only through aos.client (the ao
HTTP protocol), whether the node is embedded or remote, and never imports aos.node.

    loop        read a chunk, run a dot-command or evaluate, show, repeat
    session     the prompt_toolkit session: key bindings, highlighting, history, pastes
    paste       text that arrives in bursts (pastes, type-ahead) folded into one key press
    screen      all output on the main thread: results in order, live lines above the prompt
    terminal    keys typed during an evaluation held, not echoed
    more        big results cut at a number of terminal lines, the rest for `.more`
    earlier     where an error in a function of an earlier chunk happened
    targets     a `Send` to a process that does not exist, reported
    utf8        input that is not UTF-8, named before it is sent
    chunk       whether a Lua chunk is complete
    commands    the dot-command registry, with `.help` generated from it
    connect     finding or spawning the wallet's process, reading its prompt
    bundle      `.load`: a file and its local requires as one chunk with a source map
    completion  Tab completion read from the live process
    live        the live feed: what other messages made the process print, handler errors
    inbox trace replay   `.inbox`, `.trace`, `.replay`
    state       the shell's files: history, cursors, pads, the name registry
"""
