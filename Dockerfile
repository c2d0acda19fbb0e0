# bulwark: the gateway as a static binary on a distroless base, running as non-root.
# The build steps live in scripts/build.sh, which CI runs on every change, so this
# recipe builds the same binary the tests ran against.
#
#   docker build -t bulwark .
#   docker run --rm -p 8080:8080 bulwark                 # the demo
#   docker run --rm -p 8080:8080 -v $PWD/bulwark.yaml:/etc/bulwark/bulwark.yaml \
#       bulwark serve -c /etc/bulwark/bulwark.yaml

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN VERSION=${VERSION} ./scripts/build.sh /out/bulwark

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bulwark /usr/local/bin/bulwark
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bulwark"]
# Inside a container the gateway must listen on all interfaces to be reachable
# through a published port; the admin listener stays on the container's loopback.
CMD ["demo", "--http", "0.0.0.0:8080", "--admin", "127.0.0.1:9901"]
