# syntax=docker/dockerfile:1
# Build: the .NET SDK compiles the connector with NativeAOT into one self-contained binary.
FROM --platform=linux/amd64 mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
# NativeAOT links with clang; zlib is linked into the binary.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish connector/SourceStripe.Connector.csproj -c Release -r linux-x64 -o /out \
 && rm -f /out/*.dbg /out/*.xml

# Run: Microsoft's chiseled runtime-deps image, made for self-contained .NET apps: glibc, OpenSSL 3 and
# CA certificates on Ubuntu 24.04, no shell or package manager, and a non-root user (app, 1654) by
# default, whose home the .NET certificate store needs. distroless/cc-debian12 would also work; the
# chiseled image is the one Microsoft builds and tests for .NET apps and rebuilds with each servicing release.
FROM --platform=linux/amd64 mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
LABEL FLOW_RUNTIME_PROTOCOL=capture
LABEL FLOW_RUNTIME_CODEC=json
# Stripe's webhooks: Flow gives the task a public URL for this port. Only a capture with a
# webhook_signing_secret listens on it, and every request is authenticated (docs/webhooks.md).
EXPOSE 8080
LABEL dev.estuary.port-public.8080=true
COPY --from=build /out/source-stripe /usr/local/bin/source-stripe
USER 1654
ENTRYPOINT ["/usr/local/bin/source-stripe"]
