"""Sync tracker tickets with the release board."""

# TODO(ana): paginate the board query
# TODO(@bo): retry on 429
# FIXME(ANOPS-142): the board API drops labels with spaces
# TODO(cy, ANOPS-7): batch the updates
# TODO(#88): a ticket number in the parentheses
# TODO: see https://github.com/example/board/issues/12 for the API limits
# HACK: #431 workaround until the board fixes ordering
# XXX @dee: who owns this?
# TODO: handle UTF-8 names and SHA-256 digests (neither is a ticket)
# TODO: tracked in example/board#77
# TODO - nothing to go on here
# FIXME:no space after the colon, OPS-9 at the end
# TODO(erin@example.com) an email address as the owner
# TODO
def sync() -> None:
    pass
