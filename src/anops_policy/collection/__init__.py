"""Collection: the collector protocol, hermetic repository access, the parallel scheduler and its workers,
fact assembly and section validation. May import telemetry and the shared leaves; never policy or cel."""
