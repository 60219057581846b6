"""Docker: Dockerfiles read by BuildKit's parser (stages, shell analysis, problems) and images read through
the Docker Engine API or image archives. The only package that imports the ``docker`` SDK.

The collectors are ``dockerfiles.DockerfilesCollector`` and ``images.ImagesCollector``, each imported by the
registry only when a run needs it. May import collection, syntax and the shared leaves."""
