package dev.tropism.storage;

import java.net.URI;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * {@code tropism.storage.*}: where datasets, checkpoints and models are kept.
 *
 * @param type {@code local} (a folder on this node; the default) or {@code s3} (an S3-compatible bucket)
 * @param localRoot the folder of {@code type=local}
 * @param s3 the bucket of {@code type=s3}
 * @param cache this node's cache of downloaded base models and datasets
 */
@ConfigurationProperties("tropism.storage")
record StorageProperties(
        @DefaultValue("local") Type type,
        @DefaultValue("./data/objects") Path localRoot,
        @DefaultValue S3 s3,
        @DefaultValue Cache cache) {

    enum Type { LOCAL, S3 }

    /**
     * {@code tropism.storage.cache.*}: where a node keeps the base models it downloaded, keyed by sha256
     * ({@link ObjectCache}).
     *
     * @param dir the cache folder ({@code ${tropism.data-dir}/cache})
     * @param maxSize its size, least recently used entries evicted beyond it; 0 turns the cache off. Default 20GB.
     */
    record Cache(@DefaultValue("./data/cache") Path dir, @DefaultValue("20GB") DataSize maxSize) {
    }

    /**
     * {@code tropism.storage.s3.*}. Credentials are not configured here: they come from the AWS SDK's default
     * provider chain (environment {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, the {@code aws.*} system
     * properties, {@code ~/.aws/credentials}, or a container or instance role).
     *
     * @param bucket the bucket, which must exist (required)
     * @param prefix prepended to every key, so several deployments can share a bucket ({@code tropism/}; a slash is
     *     added when missing); empty by default
     * @param endpoint an S3-compatible server (MinIO, S3Proxy, Ceph: {@code http://minio:9000}); unset for AWS itself
     * @param pathStyleAccess {@code http://host/bucket/key} instead of {@code http://bucket.host/key}: what most
     *     S3-compatible servers need
     * @param region the signing region; unset: the SDK's default region chain ({@code AWS_REGION}, the profile), or
     *     {@code us-east-1} when an endpoint is given
     * @param partSize the part size of multipart uploads, also the memory one upload holds; an object no larger is
     *     stored with a single request. At least 5 MB, S3's smallest part (and at most 10,000 parts an object, so
     *     8 MB parts store objects up to about 78 GiB)
     */
    record S3(
            String bucket,
            @DefaultValue("") String prefix,
            URI endpoint,
            @DefaultValue("false") boolean pathStyleAccess,
            String region,
            @DefaultValue("8MB") DataSize partSize) {
    }
}
