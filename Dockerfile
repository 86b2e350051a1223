# syntax=docker/dockerfile:1
# Tropism: one jar plays every role (tropism.role=all|api|worker; docs/deployment.md). Two images:
#   docker build -t tropism .                                  the default target `cpu`: any role, training on the CPU
#   docker build --target worker-gpu -t tropism-worker-gpu \
#     --build-arg LIBTORCH_SHA256=<sha256 of the libtorch zip> .  a worker that trains on CUDA 12.8
# Neither image is built in this project's CI (there is no Docker there).

# The web UI (frontend/). The Maven stage below has no node or npm, so the UI is built here and handed to it as
# static files: what the Maven build would otherwise copy from frontend/dist into classpath:/static.
FROM node:22-bookworm-slim AS ui
WORKDIR /ui
COPY frontend/package.json frontend/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

# The jar: the Maven wrapper on JDK 17.
FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
# The wrapper downloads its Maven with curl or wget.
RUN command -v curl >/dev/null || command -v wget >/dev/null \
    || (apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*)
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/ src/
COPY --from=ui /ui/dist/ src/main/resources/static/
# -Dskip.frontend: no npm in this stage; the UI built above is already in src/main/resources/static.
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -DskipTests -Dskip.frontend package \
    && cp target/tropism-*.jar /tropism.jar

# libtorch for the GPU worker. Where it comes from: PyTorch's official C++ distribution on download.pytorch.org,
# version 2.7.1 built for CUDA 12.8 with the cxx11 ABI. DJL 0.36's PyTorch JNI library for that build
# (jnilib/linux-x86_64/cu128/libdjl_torch.so) is already inside the pytorch-jni jar in tropism.jar, so libtorch is
# the only native part the jar lacks. The CPU image needs none of this: the jar carries DJL's CPU libtorch.
FROM debian:bookworm-slim AS libtorch
ARG LIBTORCH_URL=https://download.pytorch.org/libtorch/cu128/libtorch-cxx11-abi-shared-with-deps-2.7.1%2Bcu128.zip
# The operator fills this in (this project could not download the zip to pin it): the sha256 of the zip at
# LIBTORCH_URL, taken from a copy you trust. A mirror of the same zip may be given as LIBTORCH_URL.
ARG LIBTORCH_SHA256=
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl unzip \
    && rm -rf /var/lib/apt/lists/*
RUN test -n "$LIBTORCH_SHA256" \
        || { echo "worker-gpu needs --build-arg LIBTORCH_SHA256=<sha256 of $LIBTORCH_URL>" >&2; exit 1; } \
    && curl -fsSL -o /tmp/libtorch.zip "$LIBTORCH_URL" \
    && echo "$LIBTORCH_SHA256  /tmp/libtorch.zip" | sha256sum -c - \
    && unzip -q /tmp/libtorch.zip -d /opt \
    && rm /tmp/libtorch.zip \
    && test -f /opt/libtorch/lib/libtorch_cuda.so

# A GPU worker: CUDA 12.8's runtime libraries (DJL counts GPUs through libcudart), Temurin's JRE 17 and libtorch.
# The host needs an NVIDIA driver for CUDA 12.8 and the NVIDIA Container Toolkit (docker run --gpus, or compose's
# device reservation).
FROM nvidia/cuda:12.8.1-runtime-ubuntu24.04 AS worker-gpu
COPY --from=eclipse-temurin:17-jre /opt/java/openjdk /opt/java/openjdk
ENV JAVA_HOME=/opt/java/openjdk
ENV PATH=/opt/java/openjdk/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/tropism tropism \
    && mkdir -p /data && chown tropism:tropism /data
COPY --from=libtorch /opt/libtorch/lib/ /opt/libtorch/lib/
COPY --from=build /tropism.jar /app/tropism.jar
# DJL loads this libtorch instead of the CPU one bundled in the jar. Without PYTORCH_FLAVOR it looks for a
# -precxx11 build that does not exist, and fails offline.
ENV PYTORCH_LIBRARY_PATH=/opt/libtorch/lib \
    PYTORCH_VERSION=2.7.1 \
    PYTORCH_FLAVOR=cu128
# This image is for workers on GPU 0; both can be overridden (TROPISM_ENGINE_DEVICE=cuda:1, ...).
ENV TROPISM_ROLE=worker \
    TROPISM_ENGINE_DEVICE=cuda \
    TROPISM_DATA_DIR=/data
USER tropism
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=5 \
    CMD curl -fsS http://localhost:8080/actuator/health || exit 1
ENTRYPOINT ["java", "-Dai.djl.offline=true", "-jar", "/app/tropism.jar"]

# The default target: runs every role (tropism.role=all by default: the single-process service).
FROM eclipse-temurin:17-jre AS cpu
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/tropism tropism \
    && mkdir -p /data && chown tropism:tropism /data
COPY --from=build /tropism.jar /app/tropism.jar
USER tropism
# Embedded H2 database, admin key and objects live under /data unless a PostgreSQL URL and S3 are given.
ENV TROPISM_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=5 \
    CMD curl -fsS http://localhost:8080/actuator/health || exit 1
# JVM flags: set JAVA_TOOL_OPTIONS (e.g. -Xmx2g). Tensors live outside the heap (docs/deployment.md#sizing).
ENTRYPOINT ["java", "-Dai.djl.offline=true", "-jar", "/app/tropism.jar"]
