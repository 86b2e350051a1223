# syntax=docker/dockerfile:1
# Tropism: one jar plays every role (tropism.role=all|api|worker; docs/deployment.md).
#   docker build -t tropism .    the target `cpu`: any role, training on the CPU
# The image is not built in this project's CI (there is no Docker there).

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

# Runs every role (tropism.role=all by default: the single-process service).
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
