ARG BASE_IMAGE
FROM ${BASE_IMAGE} AS base
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN yum install -y gcc-c++ make python3-devel && yum clean all
ONBUILD COPY requirements.txt /tmp/
ONBUILD RUN python3 -m pip install -r /tmp/requirements.txt

FROM base
ARG BUILD_USER=0
RUN yum install -y gcc openssl-devel \
 && pip3 install --no-cache-dir cryptography==42.0.8 \
 && yum remove -y gcc openssl-devel \
 && yum clean all
USER ${BUILD_USER}
STOPSIGNAL SIGINT
VOLUME ["/data"]
LABEL org.opencontainers.image.source="https://example.invalid/batch" \
      maintainer="ops@example.invalid"
ENTRYPOINT ["python3", "-m", "batch"]
