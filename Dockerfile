# chap_exporter container image, in the convention of the Prometheus exporters:
# a static binary, run as nobody, with the config file as its default argument.
#
# Build it with `make image` (podman or docker): it builds the static binary
# (CGO_ENABLED=0) into .build/<os>-<arch>/ and copies the build host's CA certificates
# (Debian's ca-certificates) next to it, so this file needs no base image and nothing
# from a registry.
#
#   podman run -p 9977:9977 -v ./chap.yml:/etc/chap_exporter/chap.yml:ro \
#     -e PROD_DHIS2_TOKEN chap_exporter:0.1.0
FROM scratch

ARG OS=linux
ARG ARCH=amd64

LABEL org.opencontainers.image.title="chap_exporter" \
      org.opencontainers.image.description="Prometheus exporter for DHIS2 and chap-core" \
      org.opencontainers.image.source="https://github.com/dhis2-chap/chap_exporter" \
      org.opencontainers.image.licenses="Apache-2.0"

# CA certificates, for https targets.
COPY .build/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY .build/${OS}-${ARCH}/chap_exporter /bin/chap_exporter
COPY LICENSE NOTICE /usr/share/doc/chap_exporter/

# nobody:nogroup; the image has no /etc/passwd, so the ids are numeric.
USER 65534:65534
EXPOSE 9977
ENTRYPOINT ["/bin/chap_exporter"]
CMD ["--config.file=/etc/chap_exporter/chap.yml"]
