"""Policies x facts -> explained decisions: evaluate, explain, waivers, baseline, the report, examples.

May import policy, cel, telemetry and the shared leaves."""
