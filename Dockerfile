# syntax=docker/dockerfile:1
# Tropism: build with the Maven wrapper on JDK 17, run on a JRE 17 (glibc: the bundled PyTorch natives need it).

FROM maven:3.9.9-eclipse-temurin-17 AS build
WORKDIR /src
# The wrapper downloads its Maven with curl or wget.
RUN command -v curl >/dev/null || command -v wget >/dev/null \
    || (apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*)
COPY mvnw pom.xml ./
COPY .mvn/ .mvn/
COPY src/ src/
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -DskipTests package \
    && cp target/tropism-*.jar /tropism.jar

FROM eclipse-temurin:17-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /home/tropism tropism \
    && mkdir -p /data && chown tropism:tropism /data
COPY --from=build /tropism.jar /app/tropism.jar
USER tropism
# Embedded H2 database, admin key and objects live under /data unless a PostgreSQL URL is given.
ENV TROPISM_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=5 \
    CMD curl -fsS http://localhost:8080/actuator/health || exit 1
# JVM flags: set JAVA_TOOL_OPTIONS (e.g. -Xmx4g).
ENTRYPOINT ["java", "-Dai.djl.offline=true", "-jar", "/app/tropism.jar"]
