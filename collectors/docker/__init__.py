"""Docker: Dockerfiles read by BuildKit's parser (stages, shell analysis, problems) and images read through
the Docker Engine API or image archives. The only package that imports the ``docker`` SDK.

May import collection, syntax and the shared leaves."""

from __future__ import annotations

from anops_policy.collectors.docker.dockerfiles import DockerfilesCollector
from anops_policy.collectors.docker.images import ImagesCollector

__all__ = ["DockerfilesCollector", "ImagesCollector"]
