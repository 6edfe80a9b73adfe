# The image the shard recipes in docs/shards/ run: `docker build -t deadletter:latest .`, then push it to
# your registry (ECR for AWS Batch) and put its URI where the recipes say deadletter:latest.
# The shard recipes run `sh -c` (the summary goes to a shared volume), so the runtime keeps a shell.
FROM swift:6.1-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends zlib1g-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources Sources
COPY man man
RUN swift build -c release --static-swift-stdlib --product deadletter && cp "$(swift build -c release --show-bin-path)/deadletter" /deadletter

FROM debian:bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends zlib1g ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /deadletter /usr/local/bin/deadletter
COPY --from=build /src/man/deadletter.1 /usr/local/share/man/man1/deadletter.1
RUN useradd --system --create-home deadletter
USER deadletter
CMD ["deadletter", "--help"]
